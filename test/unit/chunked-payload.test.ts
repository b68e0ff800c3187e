import { describe, expect, it } from 'vitest';
import { checkBatchShape, MAX_BATCH_ENTRIES } from '../../src/core/batch.js';
import { ENTRY_CHUNK, parsePayloadInChunks } from '../../src/core/chunked-payload.js';
import { SpamxError } from '../../src/core/errors.js';
import { JsonScanner, parseStrictJson, scanJson } from '../../src/core/strict-json.js';

const HEAD = '"spamx":1,"publisher":"jp-dekyo","seq":1,"prev":null,"issuedAt":"2026-11-22T10:15:00Z"';

function entry(i: number): Record<string, unknown> {
  return { op: 'list', prefix: `61.4.${i >> 8}.${i & 255}/32`, firstSeen: '2026-11-22T09:01:13Z', lastSeen: '2026-11-22T10:02:40Z', reports: i + 1, expires: '2026-12-22T10:15:00Z', category: 'spam-origin' };
}

function payloadText(n: number): string {
  return `{${HEAD},"entries":${JSON.stringify(Array.from({ length: n }, (_, i) => entry(i)))}}`;
}

/** What parseStrictJson + checkBatchShape say about a text: the payload and its entries, or the error code. */
function reference(text: string): unknown {
  try {
    const payload = checkBatchShape(parseStrictJson(text, 'payload'));
    return { payload: { ...payload, entries: [] }, entries: payload.entries };
  } catch (err) {
    if (err instanceof SpamxError) return err.code;
    throw err;
  }
}

/** The same, from parsePayloadInChunks, with the chunks it handed over joined back. */
function chunked(text: string, chunks: { first: number; length: number }[] = []): unknown {
  const entries: unknown[] = [];
  try {
    const payload = parsePayloadInChunks(text, (chunk, first) => {
      expect(first).toBe(entries.length);
      chunks.push({ first, length: chunk.length });
      entries.push(...chunk);
    });
    return { payload, entries };
  } catch (err) {
    if (err instanceof SpamxError) return err.code;
    throw err;
  }
}

describe('parsePayloadInChunks gives parseStrictJson + checkBatchShape verdicts', () => {
  it.each([0, 1, ENTRY_CHUNK - 1, ENTRY_CHUNK, ENTRY_CHUNK + 1, 3 * ENTRY_CHUNK + 7])('%i entries, in chunks of at most ENTRY_CHUNK', (n) => {
    const text = payloadText(n);
    const chunks: { first: number; length: number }[] = [];
    expect(chunked(text, chunks)).toEqual(reference(text));
    expect(chunks.every((c) => c.length > 0 && c.length <= ENTRY_CHUNK)).toBe(true);
    expect(chunks.reduce((sum, c) => sum + c.length, 0)).toBe(n);
  });

  it.each([
    ['whitespace everywhere', `{ ${HEAD.replaceAll(',', ' ,\n ')} , "entries" : [ \n ${JSON.stringify(entry(1))} ,\t${JSON.stringify(entry(2))} \n ] }`],
    ['entries first', `{"entries":[${JSON.stringify(entry(1))}],${HEAD}}`],
    ['arrays and an "entries" member before the real one', `{"ext":{"entries":[9,9]},"list":[[1,2],[3]],${HEAD},"entries":[{"op":"delist","prefix":"61.4.0.1/32"}]}`],
    ['strings holding , [ ] { } and escaped quotes', `{${HEAD},"entries":[{"op":"delist","prefix":"61.4.0.1/32","reason":"a,b]\\"[{,}\\\\"},{"op":"x"}]}`],
    ['nested arrays inside entries', `{${HEAD},"entries":[[1,[2,3]],{"a":[4,{"b":[5]}]},6]}`],
    ['escaped member name "entries"', `{${HEAD},"\\u0065ntries":[1,2]}`],
    ['an empty array with whitespace', `{${HEAD},"entries":[   ]}`],
  ])('valid: %s', (_what, text) => {
    expect(chunked(text)).toEqual(reference(text));
    expect(typeof reference(text)).toBe('object');
  });

  it.each([
    ['a trailing comma in entries', `{${HEAD},"entries":[1,2,]}`, 'BATCH_INVALID_JSON'],
    ['an empty element', `{${HEAD},"entries":[1,,2]}`, 'BATCH_INVALID_JSON'],
    ['a leading comma', `{${HEAD},"entries":[,1]}`, 'BATCH_INVALID_JSON'],
    ['only a comma', `{${HEAD},"entries":[,]}`, 'BATCH_INVALID_JSON'],
    ['a broken entry in a later chunk', payloadText(ENTRY_CHUNK + 5).replace('"reports":515,', '"reports":515,,'), 'BATCH_INVALID_JSON'],
    ['an unterminated string', `{${HEAD},"entries":["abc]}`, 'BATCH_INVALID_JSON'],
    ['truncated', payloadText(3).slice(0, -3), 'BATCH_INVALID_JSON'],
    ['garbage after the top level', `${payloadText(2)}x`, 'BATCH_INVALID_JSON'],
    ['a missing comma after entries', `{"entries":[1] ${HEAD}}`, 'BATCH_INVALID_JSON'],
    ['an unbalanced bracket', `{${HEAD},"entries":[1]]}`, 'BATCH_INVALID_JSON'],
    ['a repeated name inside an entry of a later chunk', payloadText(ENTRY_CHUNK + 5).replace('"reports":515,', '"reports":515,"op":"delist",'), 'BATCH_DUPLICATE_KEY'],
    ['entries given twice', `{${HEAD},"entries":[1],"entries":[2]}`, 'BATCH_DUPLICATE_KEY'],
    ['entries not an array', `{${HEAD},"entries":{"a":[1]}}`, 'BATCH_BAD_SHAPE'],
    ['no entries', `{${HEAD},"other":[1]}`, 'BATCH_BAD_SHAPE'],
    ['a top-level array', `[{${HEAD},"entries":[]}]`, 'BATCH_BAD_SHAPE'],
    ['a bad header member', `{${HEAD.replace('"spamx":1', '"spamx":2')},"entries":[1]}`, 'BATCH_BAD_SHAPE'],
    ['invalid JSON wins over a bad shape', `{${HEAD.replace('"spamx":1', '"spamx":2')},"entries":[1,,2]}`, 'BATCH_INVALID_JSON'],
    ['a repeated name wins over a bad shape', `{${HEAD.replace('"spamx":1', '"spamx":2')},"entries":[{"a":1,"a":2}]}`, 'BATCH_DUPLICATE_KEY'],
  ])('invalid: %s', (_what, text, code) => {
    expect(reference(text)).toBe(code);
    expect(chunked(text)).toBe(code);
  });

  it('hands entries over as the scan passes them, before the rest of the text is read', () => {
    // A name repeated after the entries is found only at the end: the chunks came first, and
    // the verdict is still the repeated name.
    const text = payloadText(3 * ENTRY_CHUNK + 7).replace(/\}$/, ',"x":1,"x":2}');
    const seen: number[] = [];
    expect(() => parsePayloadInChunks(text, (chunk, first) => seen.push(first + chunk.length))).toThrow(/repeats member name "x"/);
    expect(seen).toEqual([ENTRY_CHUNK, 2 * ENTRY_CHUNK, 3 * ENTRY_CHUNK, 3 * ENTRY_CHUNK + 7]);
  });

  it('tells the members before the entries first', () => {
    const calls: unknown[] = [];
    const record = (text: string) =>
      parsePayloadInChunks(
        text,
        (chunk) => calls.push(chunk.length),
        (members) => calls.push(members),
      );
    record(payloadText(2));
    expect(calls).toEqual([{ spamx: 1, publisher: 'jp-dekyo', seq: 1, prev: null, issuedAt: '2026-11-22T10:15:00Z', entries: null }, 2]);
    calls.length = 0;
    record(`{"entries":[${JSON.stringify(entry(1))}],${HEAD}}`);
    expect(calls).toEqual([{ entries: null }, 1]);
    calls.length = 0;
    record(`{"a":[1,{"b":2}],"\\u0065ntries":[${JSON.stringify(entry(1))}]}`.replace('"a"', `${HEAD},"a"`));
    expect(calls).toEqual([{ spamx: 1, publisher: 'jp-dekyo', seq: 1, prev: null, issuedAt: '2026-11-22T10:15:00Z', a: [1, { b: 2 }], entries: null }, 1]);
  });

  it('counts entries against the batch limit', () => {
    const text = `{${HEAD},"entries":[${new Array(MAX_BATCH_ENTRIES + 1).fill('0').join(',')}]}`;
    expect(reference(text)).toBe('BATCH_TOO_MANY_ENTRIES');
    expect(chunked(text)).toBe('BATCH_TOO_MANY_ENTRIES');
  });
});

describe('scanJson', () => {
  it('finds the element commas of a top-level array member, and only those', () => {
    const text = '{"a":[9,9],"entries":[1,[2,3],{"x":[4,5],"y":"6,7"}],"b":[8]}';
    const span = scanJson(text, 'entries')!.array!;
    expect(text[span.open]).toBe('[');
    expect(text[span.close]).toBe(']');
    expect(text.slice(span.open, span.close + 1)).toBe('[1,[2,3],{"x":[4,5],"y":"6,7"}]');
    expect(span.commas.map((c) => text.slice(span.open + 1, c))).toEqual(['1', '1,[2,3]']);
  });

  it('scanned a part at a time, finds what one pass finds', () => {
    const text = payloadText(2 * ENTRY_CHUNK + 3);
    const whole = scanJson(text, 'entries')!.array!;
    const scanner = new JsonScanner(text, 'entries');
    for (let n = 1; !scanner.finished; n += 97) scanner.scan(n);
    expect({ open: scanner.open, close: scanner.close, commas: scanner.commas, duplicate: scanner.duplicate }).toEqual({ ...whole, duplicate: null });
  });

  it('answers null rather than looping or throwing on text that is not JSON', () => {
    for (const text of ['{"a', '{"a":"b', '}}', '"', '{"a":1}}]', '[[[']) {
      const scan = scanJson(text, 'entries');
      expect(scan === null || scan.array === null).toBe(true);
    }
  });
});
