import { checkBatchShape, type BatchPayload } from './batch.js';
import { SpamxError } from './errors.js';
import { JsonScanner, parseStrictJson } from './strict-json.js';

/** Entries handed over per call: small enough that a chunk's parsed objects stay in V8's young generation. */
export const ENTRY_CHUNK = 512;

/**
 * Parses a batch payload with parseStrictJson's and checkBatchShape's verdicts, in their order
 * (invalid JSON, then a repeated member name, then the shape), but hands `entries` to `onChunk`
 * a slice at a time and returns the payload with `entries` empty. A 100,000-entry batch then
 * never has all its entries as objects at once: about 50 MB less heap on the pull path.
 *
 * The text is split where JsonScanner finds the entries array's element commas, and each slice
 * is parsed as `[…]` as soon as the scan has passed it, so the first entries are handed over
 * before the rest of the text is read (the pull path stores them meanwhile); the top level is
 * parsed at the end with that array emptied. Whatever the scan found, the text passes only if
 * every part parses, and the parts rebuild the text, so the split can never accept what
 * JSON.parse of the whole would refuse. When the entries cannot be located (not an object,
 * `entries` not an array) or a name is repeated (the scan stops at it), the whole text is
 * parsed as parseStrictJson does, for its verdict: entries already handed over are then part
 * of a batch that fails.
 */
export function parsePayloadInChunks(
  text: string,
  onChunk: (entries: unknown[], firstIndex: number) => void,
  /**
   * Told the top-level members that come before `entries` (parsed, not yet checked), before
   * the first chunk; undefined when there is no telling them apart from the rest.
   */
  onStart?: (members: Record<string, unknown> | undefined) => void,
): BatchPayload {
  // A sealed batch (core/sealed-payload.ts: tens of MB of ciphertext, no entries): the whole-text
  // verdict below at once, without first scanning for an array that cannot be there. Any text
  // that might name entries, even with escapes ("\u0065ntries"), is scanned as before.
  const sealed = text.includes('"sealed"') && !text.includes('ntries') && !text.includes('\\u');
  const scanner = sealed ? undefined : new JsonScanner(text, 'entries');
  scanner?.scan(ENTRY_CHUNK);
  if (!scanner || scanner.open < 0 || scanner.duplicate || scanner.broken) {
    const payload = checkBatchShape(parseStrictJson(text, 'payload'));
    onStart?.(undefined);
    onChunk(payload.entries as unknown[], 0);
    return { ...payload, entries: [] };
  }
  onStart?.(membersBefore(text, scanner.open));
  let first = 0;
  for (;;) {
    // Elements whose end is known: one per comma found, and the last once the array closed.
    const known = scanner.closed ? elementCount(text, scanner) : scanner.commas.length;
    while (known - first >= ENTRY_CHUNK || (scanner.closed && first < known)) {
      const last = Math.min(first + ENTRY_CHUNK, known) - 1;
      const slice = text.slice(elementStart(scanner, first), elementEnd(scanner, last, scanner.closed ? known : Infinity));
      const entries = parseOrReject(`[${slice}]`, `payload (entries ${first}–${last})`);
      if (!Array.isArray(entries) || entries.length !== last - first + 1) {
        throw new SpamxError('BATCH_INVALID_JSON', `payload is not valid JSON: entries ${first}–${last} do not parse as ${last - first + 1} values`);
      }
      onChunk(entries, first);
      first = last + 1;
    }
    if (scanner.closed) break;
    if (scanner.finished) return verdictOf(text);
    scanner.scan(first + ENTRY_CHUNK);
  }
  while (!scanner.finished) scanner.scan(Infinity);
  if (scanner.duplicate || scanner.broken) return verdictOf(text);
  const envelope = parseOrReject(`${text.slice(0, scanner.open)}[]${text.slice(scanner.close + 1)}`, 'payload');
  return checkBatchShape(envelope, elementCount(text, scanner));
}

/**
 * The verdict on a text the scan could not split (a repeated name, or not JSON): always an
 * error, as parseStrictJson gives it.
 */
function verdictOf(text: string): never {
  parseStrictJson(text, 'payload');
  throw new SpamxError('INTERNAL', 'payload passed a full parse after its scan stopped');
}

/** The top-level members before the array at `open`, when the text up to there reads as an object's start. */
function membersBefore(text: string, open: number): Record<string, unknown> | undefined {
  try {
    const members: unknown = JSON.parse(`${text.slice(0, open)}null}`);
    return typeof members === 'object' && members !== null && !Array.isArray(members) ? (members as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function parseOrReject(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new SpamxError('BATCH_INVALID_JSON', `${what} is not valid JSON: ${(err as Error).message}`);
  }
}

type ArraySpan = Pick<JsonScanner, 'open' | 'close' | 'commas'>;

function elementCount(text: string, span: ArraySpan): number {
  if (span.commas.length > 0) return span.commas.length + 1;
  return text.slice(span.open + 1, span.close).trim() === '' ? 0 : 1;
}

const elementStart = (span: ArraySpan, i: number) => (i === 0 ? span.open + 1 : span.commas[i - 1]! + 1);
const elementEnd = (span: ArraySpan, i: number, count: number) => (i === count - 1 ? span.close : span.commas[i]!);
