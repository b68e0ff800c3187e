import { MAX_BATCH_ENTRIES, PROTOCOL_VERSION, entryToWire } from './batch.js';
import type { Entry } from './entry.js';
import { SpamxError } from './errors.js';
import { formatTimestamp } from './time.js';
import { DEFAULT_TLP, type TlpLabel } from './tlp.js';

/** Characters of JSON gathered into one piece. */
const PIECE_CHARS = 1 << 16;

export interface PayloadHead {
  readonly publisher: string;
  readonly seq: number;
  readonly prev: string | null;
  readonly issuedAt: number;
  /** The batch's distribution label; spamx always writes one (absent is read as green). */
  readonly tlp?: TlpLabel;
}

/**
 * A batch payload's JSON, exactly `JSON.stringify(buildBatchPayload(...))`, as text pieces of
 * about 64 KiB, written an entry at a time: the wire objects of 100,000 entries and the one
 * 17 MB string of their JSON are never live at once (publishing a 500,000-line report peaked at
 * 750 MB with them). `each` is given every entry's wire form and batch position as it is
 * written.
 */
export function* batchPayloadPieces(
  head: PayloadHead,
  entries: Iterable<Entry>,
  each?: (wire: Record<string, unknown>, index: number) => void,
): Generator<string> {
  const top = JSON.stringify({ spamx: PROTOCOL_VERSION, publisher: head.publisher, seq: head.seq, prev: head.prev, issuedAt: formatTimestamp(head.issuedAt), tlp: head.tlp ?? DEFAULT_TLP });
  let piece = `${top.slice(0, -1)},"entries":[`;
  let count = 0;
  for (const e of entries) {
    if (++count > MAX_BATCH_ENTRIES) throw new SpamxError('BATCH_TOO_MANY_ENTRIES', 'too many entries for one batch');
    const wire = entryToWire(e);
    each?.(wire, count - 1);
    piece += `${count > 1 ? ',' : ''}${JSON.stringify(wire)}`;
    if (piece.length >= PIECE_CHARS) {
      yield piece;
      piece = '';
    }
  }
  yield `${piece}]}`;
}

/** The payload's length in UTF-8 bytes and its entry count, with `each` as batchPayloadPieces. */
export function batchPayloadLength(
  head: PayloadHead,
  entries: Iterable<Entry>,
  each?: (wire: Record<string, unknown>, index: number) => void,
): { bytes: number; entries: number } {
  let bytes = 0;
  let count = 0;
  for (const piece of batchPayloadPieces(head, entries, (wire, index) => {
    count = index + 1;
    each?.(wire, index);
  })) {
    bytes += Buffer.byteLength(piece, 'utf8');
  }
  return { bytes, entries: count };
}
