import { createHmac, timingSafeEqual } from 'node:crypto';

/*
 * TSIG (RFC 8945) with HMAC-SHA256, computed by hand: dns-packet (our DNS codec) decodes and
 * encodes no TSIG record, and its encoder would not keep a message byte-for-byte as signed
 * anyway (a MAC covers the exact bytes). So the record is found and written here on the wire,
 * and the MAC computed over the bytes as they travel.
 */

export const TSIG_TYPE = 250;
const CLASS_ANY = 255;
export const TSIG_ALGORITHM = 'hmac-sha256';
/** RFC 8945 §5.2.3: the fudge we sign with (seconds of clock skew allowed). */
export const TSIG_FUDGE = 300;
const MAC_SIZE = 32;

/** RFC 8945 §3: TSIG error codes (in the record's Error field). */
export const TSIG_ERROR = { NOERROR: 0, BADSIG: 16, BADKEY: 17, BADTIME: 18 } as const;

export interface TsigKey {
  /** Lower case, no trailing dot. */
  readonly name: string;
  readonly secret: Buffer;
}

/** A TSIG record as found at the end of a message. */
export interface TsigRecord {
  readonly keyName: string;
  readonly algorithm: string;
  readonly timeSigned: number;
  readonly fudge: number;
  readonly mac: Buffer;
  readonly originalId: number;
  readonly error: number;
  readonly other: Buffer;
  /** Where the record starts in the message: the bytes before it are what was signed. */
  readonly offset: number;
}

/** Reads a possibly compressed name at `offset`; returns it (lower case, no trailing dot) and the offset after it. */
function readName(message: Buffer, offset: number): [string, number] {
  const labels: string[] = [];
  let end = -1;
  let at = offset;
  for (let hops = 0; hops < 128; hops++) {
    const length = message[at];
    if (length === undefined) throw new RangeError('name runs past the message');
    if ((length & 0xc0) === 0xc0) {
      if (end < 0) end = at + 2;
      at = ((length & 0x3f) << 8) | message[at + 1]!;
      continue;
    }
    if (length === 0) return [labels.join('.').toLowerCase(), end < 0 ? at + 1 : end];
    labels.push(message.toString('latin1', at + 1, at + 1 + length));
    at += 1 + length;
  }
  throw new RangeError('name has a compression loop');
}

/** A name in canonical wire form (RFC 8945 §4.3.3: uncompressed, lower case). */
export function nameWire(name: string): Buffer {
  const labels = name.toLowerCase().replace(/\.$/, '').split('.').filter((l) => l.length > 0);
  return Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])), Buffer.from([0])]);
}

/** The TSIG record a message ends with (RFC 8945 §5.1: it must be the last additional), or undefined. */
export function findTsig(message: Buffer): TsigRecord | undefined {
  if (message.length < 12) return undefined;
  const counts = [message.readUInt16BE(4), message.readUInt16BE(6), message.readUInt16BE(8), message.readUInt16BE(10)] as const;
  if (counts[3] === 0) return undefined;
  let at = 12;
  for (let i = 0; i < counts[0]; i++) at = readName(message, at)[1] + 4;
  const records = counts[1] + counts[2] + counts[3];
  for (let i = 0; i < records; i++) {
    const start = at;
    const [owner, afterName] = readName(message, at);
    const type = message.readUInt16BE(afterName);
    const rdlength = message.readUInt16BE(afterName + 8);
    const rdata = afterName + 10;
    at = rdata + rdlength;
    if (type !== TSIG_TYPE) continue;
    if (i !== records - 1) throw new RangeError('a TSIG record is not the last of the message');
    const [algorithm, afterAlgorithm] = readName(message, rdata);
    let p = afterAlgorithm;
    const timeSigned = message.readUInt16BE(p) * 2 ** 32 + message.readUInt32BE(p + 2);
    const fudge = message.readUInt16BE(p + 6);
    const macSize = message.readUInt16BE(p + 8);
    p += 10;
    const mac = message.subarray(p, p + macSize);
    p += macSize;
    const originalId = message.readUInt16BE(p);
    const error = message.readUInt16BE(p + 2);
    const otherLength = message.readUInt16BE(p + 4);
    const other = message.subarray(p + 6, p + 6 + otherLength);
    if (p + 6 + otherLength !== at || at > message.length) throw new RangeError('the TSIG record is malformed');
    return { keyName: owner, algorithm, timeSigned, fudge, mac: Buffer.from(mac), originalId, error, other: Buffer.from(other), offset: start };
  }
  return undefined;
}

/** The time in TSIG's 48-bit form. */
function time48(seconds: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUInt16BE(Math.floor(seconds / 2 ** 32), 0);
  b.writeUInt32BE(seconds % 2 ** 32 >>> 0, 2);
  return b;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n, 0);
  return b;
}

/** RFC 8945 §4.3.3: the TSIG variables after the message in a digest. */
function variables(key: string, timeSigned: number, fudge: number, error: number, other: Buffer): Buffer {
  return Buffer.concat([nameWire(key), u16(CLASS_ANY), Buffer.alloc(4), nameWire(TSIG_ALGORITHM), time48(timeSigned), u16(fudge), u16(error), u16(other.length), other]);
}

/** The message as signed: without its TSIG record, ARCOUNT one less, the original ID (RFC 8945 §4.3.1). */
function unsignedPart(message: Buffer, record: TsigRecord): Buffer {
  const part = Buffer.from(message.subarray(0, record.offset));
  part.writeUInt16BE(record.originalId, 0);
  part.writeUInt16BE(part.readUInt16BE(10) - 1, 10);
  return part;
}

export type TsigCheck = { ok: true; record: TsigRecord } | { ok: false; error: number; record: TsigRecord };

/** Verifies a request's TSIG (RFC 8945 §5.2) with the one key configured, at `now` (seconds). */
export function verifyRequest(message: Buffer, record: TsigRecord, key: TsigKey, now: number): TsigCheck {
  // §5.2.1: an unknown key or algorithm is BADKEY.
  if (record.keyName !== key.name || record.algorithm !== TSIG_ALGORITHM) return { ok: false, error: TSIG_ERROR.BADKEY, record };
  // §5.2.2: a MAC of the wrong size (we accept no truncation) does not verify.
  if (record.mac.length !== MAC_SIZE) return { ok: false, error: TSIG_ERROR.BADSIG, record };
  const expected = createHmac('sha256', key.secret)
    .update(unsignedPart(message, record))
    .update(variables(key.name, record.timeSigned, record.fudge, record.error, record.other))
    .digest();
  if (!timingSafeEqual(expected, record.mac)) return { ok: false, error: TSIG_ERROR.BADSIG, record };
  // §5.2.3: the time is checked after the MAC, so a forged time cannot pass for skew.
  if (Math.abs(now - record.timeSigned) > record.fudge) return { ok: false, error: TSIG_ERROR.BADTIME, record };
  return { ok: true, record };
}

/** Appends a TSIG record to a message and adds one to its ARCOUNT. */
function withRecord(message: Buffer, keyName: string, rdata: Buffer): Buffer {
  const head = Buffer.from(message);
  head.writeUInt16BE(head.readUInt16BE(10) + 1, 10);
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(TSIG_TYPE, 0);
  fixed.writeUInt16BE(CLASS_ANY, 2);
  fixed.writeUInt32BE(0, 4);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([head, nameWire(keyName), fixed, rdata]);
}

function rdataOf(timeSigned: number, mac: Buffer, originalId: number, error: number, other: Buffer): Buffer {
  return Buffer.concat([nameWire(TSIG_ALGORITHM), time48(timeSigned), u16(TSIG_FUDGE), u16(mac.length), mac, u16(originalId), u16(error), u16(other.length), other]);
}

/**
 * Signs the responses to one signed request, in order. The first response's MAC covers the
 * request's MAC, the message and all TSIG variables (RFC 8945 §5.3); each later message of a
 * multi-message answer (a zone transfer) covers the prior MAC, the message, and only the timers
 * (§5.3.1). We sign every message, so "the messages since the last signed one" is that message.
 */
export class TsigSigner {
  private prior: Buffer;
  private first = true;

  constructor(
    private readonly key: TsigKey,
    requestMac: Buffer,
    /** Seconds since the epoch (core takes the clock from its caller). */
    private readonly now: () => number,
  ) {
    this.prior = requestMac;
  }

  sign(message: Buffer): Buffer {
    const time = this.now();
    const hmac = createHmac('sha256', this.key.secret).update(u16(this.prior.length)).update(this.prior).update(message);
    if (this.first) hmac.update(variables(this.key.name, time, TSIG_FUDGE, 0, Buffer.alloc(0)));
    else hmac.update(Buffer.concat([time48(time), u16(TSIG_FUDGE)]));
    const mac = hmac.digest();
    this.first = false;
    this.prior = mac;
    return withRecord(message, this.key.name, rdataOf(time, mac, message.readUInt16BE(0), 0, Buffer.alloc(0)));
  }
}

/**
 * The TSIG record of an error response to a request that did not verify (RFC 8945 §5.3.2):
 * BADKEY and BADSIG go unsigned (an empty MAC); BADTIME is signed and tells our time.
 */
export function tsigErrorResponse(message: Buffer, request: TsigRecord, error: number, key: TsigKey | undefined, now: number): Buffer {
  if (error === TSIG_ERROR.BADTIME && key) {
    const other = time48(now);
    const mac = createHmac('sha256', key.secret)
      .update(u16(request.mac.length))
      .update(request.mac)
      .update(message)
      .update(variables(key.name, request.timeSigned, TSIG_FUDGE, error, other))
      .digest();
    return withRecord(message, request.keyName, rdataOf(request.timeSigned, mac, message.readUInt16BE(0), error, other));
  }
  return withRecord(message, request.keyName, rdataOf(request.timeSigned, Buffer.alloc(0), message.readUInt16BE(0), error, Buffer.alloc(0)));
}

/** Signs a request (for tests and NOTIFY): returns the message with its TSIG record, and the MAC. */
export function signRequest(message: Buffer, key: TsigKey, timeSigned: number): { message: Buffer; mac: Buffer } {
  const mac = createHmac('sha256', key.secret).update(message).update(variables(key.name, timeSigned, TSIG_FUDGE, 0, Buffer.alloc(0))).digest();
  return { message: withRecord(message, key.name, rdataOf(timeSigned, mac, message.readUInt16BE(0), 0, Buffer.alloc(0))), mac };
}

/** The key from config (`dnsbl.transfer.tsig`). */
export function tsigKeyOf(config: { name: string; secret: string }): TsigKey {
  return { name: config.name.toLowerCase().replace(/\.$/, ''), secret: Buffer.from(config.secret, 'base64') };
}
