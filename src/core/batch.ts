import { SpamxError } from './errors.js';
import type { Entry } from './entry.js';
import { parseTimestamp, formatTimestamp } from './time.js';
import { DEFAULT_TLP, type TlpLabel } from './tlp.js';
import { checkSealedShape, type SealedMember } from './sealed-payload.js';

export const PROTOCOL_VERSION = 1;
export const BATCH_TYP = 'spamx-batch+jws';
export const MAX_BATCH_ENTRIES = 100_000;
/** PROTOCOL "Batch": receivers accept compact JWS up to 48 MiB and nothing beyond. */
export const MAX_JWS_BYTES = 48 * 1024 * 1024;
export const CENTRE_ID_RE = /^[a-z][a-z0-9-]{1,31}$/;
const LEAF_HASH_B64URL_RE = /^[A-Za-z0-9_-]{43}$/;

/** The signed payload's top level, once its shape is checked; entries are checked one by one. */
export interface BatchPayload {
  readonly spamx: 1;
  readonly publisher: string;
  readonly seq: number;
  readonly prev: string | null;
  readonly issuedAt: string;
  readonly entries: readonly unknown[];
  /**
   * The distribution label (PROTOCOL "Additions: partners only"), as sent: any value passes the
   * shape check, and core/tlp.ts batchTlp reads it (absent: green; not a label: red, noted).
   */
  readonly tlp?: unknown;
  /**
   * A sealed batch's `sealed` member (core/sealed-payload.ts), which it carries instead of
   * `entries` (its `entries` here is then empty): only its recipients can read its entries.
   */
  readonly sealed?: SealedMember;
}

function badShape(message: string): SpamxError {
  return new SpamxError('BATCH_BAD_SHAPE', message);
}

/**
 * The payload's top-level shape (PROTOCOL "Validity and local policy", question 1). Members
 * other than these are ignored so that later protocol versions can add some. `entryCount`
 * stands for `entries.length` when the entries were parsed apart (core/chunked-payload.ts).
 */
export function checkBatchShape(value: unknown, entryCount?: number): BatchPayload {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badShape('payload is not a JSON object');
  const p = value as Record<string, unknown>;
  if (p.spamx !== PROTOCOL_VERSION) throw badShape(`"spamx" must be ${PROTOCOL_VERSION}, got ${JSON.stringify(p.spamx)}`);
  if (typeof p.publisher !== 'string' || !CENTRE_ID_RE.test(p.publisher)) throw badShape('"publisher" is not a centre id');
  if (!Number.isSafeInteger(p.seq) || (p.seq as number) < 1) throw badShape('"seq" must be a positive integer');
  if (p.prev !== null && (typeof p.prev !== 'string' || !LEAF_HASH_B64URL_RE.test(p.prev))) {
    throw badShape('"prev" must be null or a base64url SHA-256 hash');
  }
  if (parseTimestamp(p.issuedAt) === undefined) throw badShape('"issuedAt" is not an RFC 3339 UTC timestamp');
  if (p.sealed !== undefined) {
    // A sealed batch carries its entries inside the JWE only (PROTOCOL "Additions: partners only").
    if (p.entries !== undefined) throw badShape('a sealed batch carries "sealed" instead of "entries", not both');
    return { ...(p as unknown as BatchPayload), entries: [], sealed: checkSealedShape(p.sealed) };
  }
  if (!Array.isArray(p.entries)) throw badShape('"entries" is not an array');
  // `tlp` is never a shape failure: a bad label is read as red (core/tlp.ts batchTlp), so an
  // authentic batch still takes its place in the log and the feed goes on.
  const count = entryCount ?? p.entries.length;
  if (count > MAX_BATCH_ENTRIES) {
    throw new SpamxError('BATCH_TOO_MANY_ENTRIES', `batch has ${count} entries; at most ${MAX_BATCH_ENTRIES} allowed`);
  }
  return p as unknown as BatchPayload;
}

/** The wire form of one entry, as it goes into a signed payload. */
export function entryToWire(e: Entry): Record<string, unknown> {
  if (e.op === 'delist') {
    return e.reason === null ? { op: 'delist', prefix: e.prefix.text } : { op: 'delist', prefix: e.prefix.text, reason: e.reason };
  }
  return {
    op: 'list',
    prefix: e.prefix.text,
    firstSeen: formatTimestamp(e.firstSeen),
    lastSeen: formatTimestamp(e.lastSeen),
    reports: e.reports,
    expires: formatTimestamp(e.expires),
    category: e.category,
  };
}

export function buildBatchPayload(args: {
  publisher: string;
  seq: number;
  prev: string | null;
  issuedAt: number;
  entries: readonly Entry[];
  tlp?: TlpLabel;
}): BatchPayload {
  if (args.entries.length > MAX_BATCH_ENTRIES) throw new SpamxError('BATCH_TOO_MANY_ENTRIES', 'too many entries for one batch');
  return {
    spamx: PROTOCOL_VERSION,
    publisher: args.publisher,
    seq: args.seq,
    prev: args.prev,
    issuedAt: formatTimestamp(args.issuedAt),
    tlp: args.tlp ?? DEFAULT_TLP,
    entries: args.entries.map(entryToWire),
  };
}
