import { SpamxError } from './errors.js';

/** How many bytes of a bad field an error quotes: enough to find it, never a long line. */
const QUOTED_BYTES = 60;

/** A malformed row of an origin data file: `file:line: reason`, code ORIGINS_INVALID. */
export function originDataError(file: string, line: number, reason: string): SpamxError {
  return new SpamxError('ORIGINS_INVALID', `${file}:${line}: ${reason}`, { file, line });
}

/**
 * The bytes[from, to) of a bad field as quotable text, clipped as src/core/clip-text.ts clips:
 * at most QUOTED_BYTES of it, control characters and non-ASCII shown as `?`, and how long it was.
 */
export function fieldText(bytes: Uint8Array, from: number, to: number): string {
  let text = '';
  for (let i = from; i < Math.min(to, from + QUOTED_BYTES); i++) {
    const c = bytes[i]!;
    text += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '?';
  }
  return to - from > QUOTED_BYTES ? `${text}… [truncated, ${to - from} bytes]` : text;
}
