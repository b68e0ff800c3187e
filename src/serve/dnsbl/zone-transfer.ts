import { setImmediate as nextTurn } from 'node:timers/promises';
import dnsPacket, { type Answer, type Question } from 'dns-packet';
import type { Logger } from 'pino';
import { positionOfSerial, serialOf } from '../../core/dns-serial.js';
import { findTsig, TSIG_ERROR, tsigErrorResponse, TsigSigner, verifyRequest, type TsigKey, type TsigRecord } from '../../core/dns-tsig.js';
import { describeError, SpamxError } from '../../core/errors.js';
import { parsePrefix, prefixContains, type Prefix } from '../../core/prefix.js';
import type { Store } from '../../store/open-store.js';
import { openZoneSnapshot } from '../../store/zone-pieces.js';
import { recordRefusal, recordTransfer } from '../../store/zone-secondary-store.js';
import { soaRecord, type DnsblZone } from './dnsbl-zone.js';
import { zoneDifference, zoneRecords, type ZoneText } from './zone-content.js';
import { ZoneMessageWriter } from './zone-wire.js';
import type { ZoneTransferCounts } from './zone-counts.js';

const QTYPE_IXFR = 251;
const QTYPE_AXFR = 252;
const RCODE = { FORMERR: 1, REFUSED: 5, NOTAUTH: 9 } as const;
const { AUTHORITATIVE_ANSWER: AA } = dnsPacket;
/** Records are packed into messages of about this many bytes (RFC 5936 §2.2: as many as fit, under 64 KB; pointers reach 16 KB). */
const MESSAGE_BYTES = 16_000;

/** Sends one DNS message to the client (framed and written by the TCP connection); resolves once it may send more. */
export type SendMessage = (message: Buffer) => Promise<void>;

export interface ZoneTransferOptions {
  readonly store: Store;
  readonly zone: () => DnsblZone;
  /** Clients allowed without TSIG (`dnsbl.transfer.allow`). */
  readonly allow: readonly string[];
  readonly key: TsigKey | undefined;
  /** NOTIFY targets ("host:port"): a transfer from one's host is recorded under its name. */
  readonly secondaries: readonly string[];
  readonly log: Logger;
  readonly counts?: ZoneTransferCounts;
  readonly now?: () => number;
}

/**
 * AXFR (RFC 5936) and IXFR (RFC 1995) of the DNSBL zone over TCP, for DNS secondaries. The zone
 * is read from one store snapshot and streamed a message at a time, each written once the client
 * has read the one before (`send` waits for the socket to drain), so a million-piece zone never
 * sits in memory. The SOA serial is the change log position (core/dns-serial.ts). Allowed to
 * clients in `dnsbl.transfer.allow` and to requests signed with the configured TSIG key; every
 * response to a signed request is signed, each message of the stream (RFC 8945 §5.3.1).
 */
export class ZoneTransfers {
  private readonly allowed: Prefix[];

  constructor(private readonly options: ZoneTransferOptions) {
    this.allowed = options.allow.map((text) => {
      const parsed = parsePrefix(text);
      if (!parsed.ok) throw new SpamxError('CONFIG_INVALID', `dnsbl.transfer.allow: "${text}" is not an address or CIDR prefix (${parsed.reason}); write it like 10.20.0.0/24`);
      return parsed.prefix;
    });
  }

  /** Whether this message asks for a transfer (AXFR or IXFR query); others are answered as usual. */
  accepts(message: Buffer): boolean {
    return transferType(message) !== undefined;
  }

  /** Serves the transfer a message asks for, to `client` (its address); never rejects. */
  start(message: Buffer, client: string, send: SendMessage): Promise<void> {
    const qtype = transferType(message) ?? QTYPE_AXFR;
    return this.serve(message, qtype, client, send).catch((err: unknown) => {
      this.options.log.warn({ err: describeError(err), client }, 'zone transfer failed');
      this.options.counts?.transfer(qtype === QTYPE_AXFR ? 'AXFR' : 'IXFR', 'failed');
    });
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private async serve(message: Buffer, qtype: number, client: string, send: SendMessage): Promise<void> {
    const kind = qtype === QTYPE_AXFR ? 'AXFR' : 'IXFR';
    const started = performance.now();
    let request: dnsPacket.DecodedPacket;
    let tsig: TsigRecord | undefined;
    try {
      tsig = findTsig(message);
      request = dnsPacket.decode(tsig ? withoutTsig(message, tsig) : message);
    } catch {
      await send(errorReply(message, RCODE.FORMERR));
      return;
    }
    const question = request.questions![0]!;
    const secondary = this.secondaryOf(client);
    let signer: TsigSigner | undefined;
    if (tsig) {
      const key = this.options.key;
      const check = key ? verifyRequest(message, tsig, key, Math.floor(this.now() / 1000)) : ({ ok: false, error: TSIG_ERROR.BADKEY, record: tsig } as const);
      if (!check.ok) {
        // RFC 8945 §5.2: NOTAUTH, and the TSIG error saying why (BADKEY, BADSIG, BADTIME).
        this.refuse(secondary, 'tsig', `TSIG did not verify (error ${check.error}) for key ${tsig.keyName}`);
        const reply = errorReply(message.subarray(0, tsig.offset), RCODE.NOTAUTH, tsig.originalId);
        await send(tsigErrorResponse(reply, tsig, check.error, key, Math.floor(this.now() / 1000)));
        return;
      }
      signer = new TsigSigner(key!, tsig.mac, () => Math.floor(this.now() / 1000));
    } else if (!this.isAllowed(client)) {
      this.refuse(secondary, 'not_allowed', `${client} is not in dnsbl.transfer.allow and sent no TSIG`);
      await send(errorReply(message, RCODE.REFUSED));
      return;
    }
    const sign = (m: Buffer) => (signer ? signer.sign(m) : m);
    const zone = this.options.zone();
    if (question.name.toLowerCase().replace(/\.$/, '') !== zone.zone || (question.class ?? 'IN') !== 'IN') {
      // RFC 5936 §2.2.1: a zone we are not authoritative for.
      await send(sign(errorReply(message.subarray(0, tsig?.offset ?? message.length), RCODE.NOTAUTH, tsig?.originalId, tsig !== undefined)));
      return;
    }
    const snapshot = openZoneSnapshot(this.options.store);
    try {
      const current = { ...zone, zone: zone.zone, serial: snapshot.position } as DnsblZone;
      const soa = soaRecord(current);
      const text: ZoneText = { zone: zone.zone, ttl: zone.ttl, publicUrl: zone.publicUrl };
      const stream = new MessageStream(request.id ?? 0, question, zone.zone, (m) => send(sign(m)));
      let outcome: 'ok' | 'full' | 'current' = 'ok';
      if (kind === 'IXFR') {
        const theirs = (request.authorities ?? []).find((a) => a.type === 'SOA');
        const serial = theirs ? (theirs.data as { serial: number }).serial : undefined;
        const from = serial === undefined ? undefined : positionOfSerial(serial, snapshot.position);
        if (from !== undefined && from === snapshot.position) {
          // RFC 1995 §2: the client is current; the answer is the SOA alone.
          await stream.add(soa);
          await stream.end();
          this.done(secondary, kind, 'current', snapshot.position, started);
          return;
        }
        const difference = from !== undefined && from >= snapshot.prunedThrough ? zoneDifference(snapshot, from, text) : undefined;
        if (difference) {
          // RFC 1995 §4: new SOA, old SOA, deletions, new SOA, additions, new SOA.
          await stream.add(soa);
          await stream.add(soaRecord({ ...current, serial: from! }));
          for (const record of difference.deleted) await stream.add(record);
          await stream.add(soa);
          for (const record of difference.added) await stream.add(record);
          await stream.add(soa);
          await stream.end();
          this.done(secondary, kind, 'ok', snapshot.position, started);
          return;
        }
        // RFC 1995 §4: a serial older than the kept log (or not ours): the whole zone, as AXFR.
        outcome = 'full';
      }
      await stream.add(soa);
      for (const record of zoneRecords(snapshot, text, zone.nameserver)) await stream.add(record);
      await stream.add(soa);
      await stream.end();
      this.done(secondary, kind, outcome, snapshot.position, started);
    } finally {
      snapshot.close();
    }
  }

  private done(secondary: string, kind: 'AXFR' | 'IXFR', outcome: 'ok' | 'full' | 'current', position: number, started: number): void {
    this.options.counts?.transfer(kind, outcome);
    this.options.log.info({ secondary, kind, outcome, serial: serialOf(position), ms: Math.round(performance.now() - started) }, 'zone transferred');
    recordTransfer(this.options.store, secondary, kind, serialOf(position), this.now());
  }

  private refuse(secondary: string, reason: 'not_allowed' | 'tsig', detail: string): void {
    this.options.counts?.refused(reason);
    this.options.log.warn({ secondary, reason: detail }, 'zone transfer refused');
    recordRefusal(this.options.store, secondary, detail, this.now());
  }

  private isAllowed(client: string): boolean {
    const parsed = parsePrefix(client);
    return parsed.ok && this.allowed.some((prefix) => prefixContains(prefix, parsed.prefix));
  }

  /** The NOTIFY target on the client's host, when there is one, else the client's address. */
  private secondaryOf(client: string): string {
    const parsed = parsePrefix(client);
    const address = parsed.ok ? parsed.prefix.text.replace(/\/(32|128)$/, '') : client;
    return this.options.secondaries.find((target) => target.replace(/:\d+$/, '').replace(/^\[|\]$/g, '') === address) ?? address;
  }
}

/** Packs records into messages as they come (zone-wire.ts), each sent once it is full. */
class MessageStream {
  private readonly writer: ZoneMessageWriter;
  private sent = false;

  constructor(id: number, question: Question, zone: string, private readonly send: SendMessage) {
    this.writer = new ZoneMessageWriter(id, question, zone, MESSAGE_BYTES);
  }

  async add(record: Answer): Promise<void> {
    this.writer.add(record);
    if (this.writer.full) await this.flush();
  }

  async end(): Promise<void> {
    if (this.writer.records > 0 || !this.sent) await this.flush();
  }

  private async flush(): Promise<void> {
    this.sent = true;
    await this.send(this.writer.take());
    // Other clients (UDP queries above all) get a turn between messages.
    await nextTurn();
  }
}

/** AXFR or IXFR when the message is a query for one (opcode QUERY, one question), else undefined. */
function transferType(message: Buffer): number | undefined {
  if (message.length < 17 || (message.readUInt16BE(2) & 0xf800) !== 0 || message.readUInt16BE(4) !== 1) return undefined;
  let offset = 12;
  for (;;) {
    const length = message[offset];
    if (length === undefined || length > 63) return undefined;
    if (length === 0) break;
    offset += 1 + length;
  }
  if (offset + 5 > message.length) return undefined;
  const qtype = message.readUInt16BE(offset + 1);
  return qtype === QTYPE_AXFR || qtype === QTYPE_IXFR ? qtype : undefined;
}

/** The message without its TSIG record and with ARCOUNT one less, for dns-packet to decode. */
function withoutTsig(message: Buffer, tsig: TsigRecord): Buffer {
  const part = Buffer.from(message.subarray(0, tsig.offset));
  part.writeUInt16BE(part.readUInt16BE(10) - 1, 10);
  return part;
}

/**
 * An error answer echoing the query's header and question (the first question only, up to its
 * end), with QR, AA off and the rcode; answer, authority and additional sections empty.
 */
function errorReply(message: Buffer, rcode: number, id?: number, aa = false): Buffer {
  let offset = 12;
  while (offset < message.length && message[offset] !== 0) offset += 1 + message[offset]!;
  const end = Math.min(message.length, offset + 5);
  const reply = Buffer.from(message.subarray(0, end));
  if (id !== undefined) reply.writeUInt16BE(id, 0);
  const flags = (message.readUInt16BE(2) & 0x7900) | 0x8000 | (aa ? AA : 0) | rcode;
  reply.writeUInt16BE(flags, 2);
  reply.writeUInt16BE(end > 12 ? 1 : 0, 4);
  reply.writeUInt32BE(0, 6);
  reply.writeUInt16BE(0, 10);
  return reply;
}
