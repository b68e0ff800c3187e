import dnsPacket, { type Answer } from 'dns-packet';
import { parseQueryName } from './dnsbl-name.js';
import { LISTED_A, listingOf, soaRecord, type DnsblZone } from './dnsbl-zone.js';

const HEADER = 12;
const QTYPE_A = 1;
const QCLASS_IN = 1;
const QR = 0x8000;
const AA = 0x0400;
const RD = 0x0100;
const NXDOMAIN = 3;
/** RFC 1035 §4.1.4: a pointer to the question's name, which starts right after the header. */
const POINTER_TO_QUESTION = Buffer.from([0xc0, HEADER]);

/**
 * The one query a DNSBL gets nearly all the time, answered without decoding it into objects and
 * encoding a reply with dns-packet's general encoder (about 4 µs of the 20 µs a query took, which
 * held the DNSBL at 0.45× rbldnsd's rate): a plain QUERY with one A question for an address name,
 * and at most an EDNS OPT record, as resolvers send. The reply is the query's own header and
 * question, then a record built once by dns-packet (A 127.0.0.2 owned by a pointer to the
 * question name, or the zone's SOA for a negative answer), then our OPT record if the query had
 * one. Anything else returns undefined and takes the general path, which gives the same answer
 * (test/unit/dnsbl-query.test.ts checks it).
 */
export function fastAnswer(message: Buffer, zone: DnsblZone): Buffer | undefined {
  if (message.length < HEADER + 5) return undefined;
  const flags = message.readUInt16BE(2);
  const additional = message.readUInt16BE(10);
  // A query (QR clear), opcode QUERY; one question, no answer or authority records.
  if ((flags & 0xf800) !== 0 || message.readUInt32BE(4) !== 0x00010000 || message.readUInt16BE(8) !== 0 || additional > 1) return undefined;
  // Walk the question name's labels, noting where each starts.
  let offset = HEADER;
  let labels = 0;
  for (;;) {
    const length = message[offset];
    // Compression in a question, a reserved label type, or a name past the end: general path.
    if (length === undefined || length > 63 || offset + 1 + length > message.length) return undefined;
    if (length === 0) break;
    LABEL_STARTS[labels++] = offset;
    offset += 1 + length;
  }
  const end = offset + 5;
  if (end > message.length || message.readUInt16BE(offset + 1) !== QTYPE_A || message.readUInt16BE(offset + 3) !== QCLASS_IN) return undefined;
  const edns = additional === 1 ? readOpt(message, end) : undefined;
  if (additional === 1 ? edns === undefined : end !== message.length) return undefined;
  const records = recordsFor(zone);
  const target = wireV4(message, labels, offset, records.zoneWire) ?? nameTarget(message, labels, zone.zone);
  if (target === undefined) return undefined;
  const listed = listingOf(target, zone.index) !== undefined;
  const tail = listed ? records.a : records.soa;
  const size = end + tail.length + (edns ? OPT_SIZE : 0);
  // Too big for UDP (a very long zone name): the general path truncates (RFC 2181 §9).
  if (size > (edns ? edns.limit : UDP_PLAIN)) return undefined;
  const reply = Buffer.allocUnsafe(size);
  message.copy(reply, 0, 0, end);
  reply.writeUInt16BE(QR | AA | (flags & RD) | (listed ? 0 : NXDOMAIN), 2);
  reply.writeUInt32BE(listed ? 0x00010000 : 0x00000001, 6); // ANCOUNT, NSCOUNT; ARCOUNT is the query's
  tail.copy(reply, end);
  if (edns) writeOpt(reply, end + tail.length, edns.dnssecOk);
  return reply;
}

/** Plain DNS over UDP (RFC 1035 §4.2.1), and the payload size we offer with EDNS (RFC 6891 §6.2.5). */
export const UDP_PLAIN = 512;
export const UDP_EDNS = 1232;
const TYPE_OPT = 41;
const OPT_SIZE = 11;
const DO = 0x8000;

/**
 * An OPT record (RFC 6891 §6.1.2) filling the message from `start` to its end: root owner, type
 * OPT, the client's payload size, version 0 (another version is BADVERS: general path). Its
 * options (a cookie, say) need no answer from a server that does not implement them.
 */
function readOpt(message: Buffer, start: number): { limit: number; dnssecOk: boolean } | undefined {
  if (message.length < start + OPT_SIZE || message[start] !== 0 || message.readUInt16BE(start + 1) !== TYPE_OPT) return undefined;
  if (message[start + 6] !== 0 || start + OPT_SIZE + message.readUInt16BE(start + 9) !== message.length) return undefined;
  return { limit: Math.max(UDP_PLAIN, Math.min(message.readUInt16BE(start + 3), UDP_EDNS)), dnssecOk: (message.readUInt16BE(start + 7) & DO) !== 0 };
}

/** Our OPT record: payload size 1232, version 0, no options, DO copied from the query (RFC 3225 §3). */
function writeOpt(reply: Buffer, at: number, dnssecOk: boolean): void {
  reply[at] = 0;
  reply.writeUInt16BE(TYPE_OPT, at + 1);
  reply.writeUInt16BE(UDP_EDNS, at + 3);
  reply.writeUInt16BE(0, at + 5); // extended RCODE, version
  reply.writeUInt16BE(dnssecOk ? DO : 0, at + 7);
  reply.writeUInt16BE(0, at + 9); // no options
}

/** Where each label of the name being read starts (a name of 255 bytes has at most 127). */
const LABEL_STARTS = new Int32Array(128);

/**
 * `d.c.b.a.<zone>` read straight from the wire: four decimal labels, then the zone's labels
 * (compared case-insensitively, RFC 4343). Undefined for any other name, which is then read as
 * text; this is only the quicker way to the same answer for the commonest name.
 */
function wireV4(message: Buffer, labels: number, nameEnd: number, zoneWire: Buffer): { kind: 'v4'; address: number } | undefined {
  const zoneStart = nameEnd - zoneWire.length;
  if (labels < 5 || LABEL_STARTS[4] !== zoneStart) return undefined;
  for (let i = 0; i < zoneWire.length; i++) {
    const c = message[zoneStart + i]!;
    if ((c >= 0x41 && c <= 0x5a ? c | 0x20 : c) !== zoneWire[i]) return undefined;
  }
  let address = 0;
  for (let label = 3; label >= 0; label--) {
    const start = LABEL_STARTS[label]!;
    const length = message[start]!;
    // Decimal 0-255 without leading zeros, as parseQueryName reads it.
    if (length > 3 || (length > 1 && message[start + 1] === 0x30)) return undefined;
    let octet = 0;
    for (let i = start + 1; i <= start + length; i++) {
      const digit = message[i]! - 0x30;
      if (digit < 0 || digit > 9) return undefined;
      octet = octet * 10 + digit;
    }
    if (octet > 255) return undefined;
    address = address * 256 + octet;
  }
  return { kind: 'v4', address };
}

/** Any other name: as text (printable ASCII only), then parsed; only address names stay here. */
function nameTarget(message: Buffer, labels: number, zone: string): { kind: 'v4'; address: number } | { kind: 'v6'; nibbles: string } | undefined {
  let name = '';
  for (let label = 0; label < labels; label++) {
    const start = LABEL_STARTS[label]!;
    const length = message[start]!;
    for (let i = start + 1; i <= start + length; i++) {
      const c = message[i]!;
      if (c <= 0x20 || c >= 0x7f || c === 0x2e) return undefined;
    }
    name += (label > 0 ? '.' : '') + message.toString('latin1', start + 1, start + 1 + length);
  }
  const target = parseQueryName(name, zone);
  return target.kind === 'v4' || target.kind === 'v6' ? target : undefined;
}

interface Records {
  readonly serial: number;
  /** The zone's name in wire form, lower case, without the root's zero byte. */
  readonly zoneWire: Buffer;
  readonly a: Buffer;
  readonly soa: Buffer;
}

const cache = new WeakMap<DnsblZone, Records>();

/** The encoded records, made again only when the serial moves. */
function recordsFor(zone: DnsblZone): Records {
  const serial = zone.serial;
  let records = cache.get(zone);
  if (records?.serial !== serial) {
    // The A record is encoded with the root as owner (one zero byte), which the pointer replaces.
    const a = encodeRecord({ type: 'A', name: '.', ttl: zone.ttl, data: LISTED_A });
    const zoneWire = Buffer.concat(zone.zone.split('.').map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label)])));
    records = { serial, zoneWire, a: Buffer.concat([POINTER_TO_QUESTION, a.subarray(1)]), soa: encodeRecord(soaRecord(zone)) };
    cache.set(zone, records);
  }
  return records;
}

/** One resource record's wire form: a message holding only it, less the 12-byte header. */
function encodeRecord(record: Answer): Buffer {
  return dnsPacket.encode({ type: 'response', answers: [record] }).subarray(HEADER);
}
