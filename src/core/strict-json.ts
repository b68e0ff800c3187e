import { SpamxError } from './errors.js';

/**
 * JSON.parse that also rejects duplicate member names, which PROTOCOL "Batch" forbids
 * (RFC 8259 §4 leaves them undefined; two parsers could read two different batches).
 */
export function parseStrictJson(text: string, what: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new SpamxError('BATCH_INVALID_JSON', `${what} is not valid JSON: ${(err as Error).message}`);
  }
  const duplicate = findDuplicateMember(text);
  if (duplicate) {
    throw new SpamxError(
      'BATCH_DUPLICATE_KEY',
      `${what} repeats member name ${JSON.stringify(duplicate.name)} at offset ${duplicate.offset}`,
    );
  }
  return value;
}

/**
 * Scans text already known to be valid JSON for an object that names a member twice. Strings
 * are skipped with indexOf, and one Set per nesting depth is reused, so the scan allocates
 * almost nothing for a 100,000-entry batch and costs little next to JSON.parse itself.
 */
export function findDuplicateMember(text: string): { name: string; offset: number } | null {
  const names: Set<string>[] = []; // reused per depth
  const isObject: boolean[] = [];
  let depth = 0;
  let expectName = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = text.indexOf('"', i + 1);
      while (isEscaped(text, j)) j = text.indexOf('"', j + 1);
      if (expectName) {
        const raw = text.slice(i + 1, j);
        const name = raw.includes('\\') ? (JSON.parse(text.slice(i, j + 1)) as string) : raw;
        const seen = names[depth - 1]!;
        if (seen.has(name)) return { name, offset: i };
        seen.add(name);
        expectName = false;
      }
      i = j;
    } else if (c === 0x7b /* { */) {
      (names[depth] ??= new Set()).clear();
      isObject[depth++] = true;
      expectName = true;
    } else if (c === 0x5b /* [ */) {
      isObject[depth++] = false;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    } else if (c === 0x2c /* , */) {
      expectName = depth > 0 && isObject[depth - 1]!;
    }
  }
  return null;
}

function isEscaped(text: string, quote: number): boolean {
  let backslashes = 0;
  for (let k = quote - 1; text.charCodeAt(k) === 0x5c; k--) backslashes++;
  return backslashes % 2 === 1;
}
