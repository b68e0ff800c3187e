import { describe, expect, it } from 'vitest';
import { findDuplicateMember, parseStrictJson, scanJson } from '../../src/core/strict-json.js';
import { SpamxError } from '../../src/core/errors.js';
import { thrownCode } from './fixtures.js';

const dupName = (text: string): string | null => findDuplicateMember(text)?.name ?? null;

describe('parseStrictJson', () => {
  it('returns what JSON.parse returns when names are unique', () => {
    const text = '{"spamx":1,"entries":[{"op":"list","prefix":"61.4.12.7/32"},{"op":"list","prefix":"116.31.64.0/24"}],"prev":null}';
    expect(parseStrictJson(text, 'payload')).toEqual(JSON.parse(text));
    expect(parseStrictJson('[1,"two",null]', 'x')).toEqual([1, 'two', null]);
    expect(parseStrictJson('"plain"', 'x')).toBe('plain');
  });

  it.each(['', '{', '{"a":1,}', "{'a':1}", '{"a":1}{"b":2}', 'NaN', '{"a":01}', '\u00ff'])('refuses %j as BATCH_INVALID_JSON', (text) => {
    expect(thrownCode(() => parseStrictJson(text, 'payload'))).toBe('BATCH_INVALID_JSON');
  });

  it('refuses duplicate names as BATCH_DUPLICATE_KEY, naming the member and what was parsed', () => {
    let caught: unknown;
    try {
      parseStrictJson('{"seq":1,"seq":2}', 'payload');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SpamxError);
    expect((caught as SpamxError).code).toBe('BATCH_DUPLICATE_KEY');
    expect((caught as SpamxError).message).toContain('"seq"');
    expect((caught as SpamxError).message).toContain('payload');
  });

  it('checks JSON validity before duplicates', () => {
    expect(thrownCode(() => parseStrictJson('{"a":1,"a":2', 'payload'))).toBe('BATCH_INVALID_JSON');
  });
});

describe('findDuplicateMember', () => {
  it.each([
    ['top level', '{"a":1,"b":2,"a":3}', 'a'],
    ['nested object', '{"x":{"a":1,"a":2}}', 'a'],
    ['object inside an array', '{"entries":[{"op":"list"},{"op":"list","prefix":"61.4.12.7","prefix":"202.12.27.33"}]}', 'prefix'],
    ['deep in arrays of arrays', '[[[{"k":1}],[{"k":1,"k":2}]]]', 'k'],
    ['after a nested object closes', '{"a":{"b":1},"a":2}', 'a'],
    ['after an array value closes', '{"a":[1,{"c":2}],"a":3}', 'a'],
    ['escaped spelling of the same name', '{"a":1,"\\u0061":2}', 'a'],
    ['escaped solidus', '{"/":1,"\\/":2}', '/'],
    ['non-ASCII escaped', '{"é":1,"\\u00e9":2}', 'é'],
    ['name with an escaped quote', '{"a\\"b":1,"a\\"b":2}', 'a"b'],
    ['name ending in an escaped backslash', '{"a\\\\":1,"a\\\\":2}', 'a\\'],
    ['empty name', '{"":1,"":2}', ''],
    ['whitespace around tokens', '{ "a" : 1 ,\n\t"a" : 2 }', 'a'],
    ['__proto__', '{"__proto__":1,"__proto__":2}', '__proto__'],
  ])('finds a duplicate: %s', (_what, text, name) => {
    expect(() => JSON.parse(text)).not.toThrow();
    expect(dupName(text)).toBe(name);
  });

  it.each([
    ['same name in sibling objects', '{"a":{"x":1},"b":{"x":2}}'],
    ['same name in array elements', '[{"op":"list","prefix":"61.4.12.7"},{"op":"list","prefix":"61.4.12.7"}]'],
    ['same name at different depths', '{"a":{"a":{"a":1}}}'],
    ['a value equal to a name', '{"a":"a","b":"a"}'],
    ['string values with { , " and :', '{"a":"{\\"a\\":1,","b":"x:y,\\"a\\":{","c":"]}"}'],
    ['string values in arrays that look like names', '{"a":["a","a",{"b":"a"}],"b2":1}'],
    ['names differing only by escaping a different char', '{"a\\\\":1,"a":2}'],
    ['names that are prefixes of each other', '{"ab":1,"a":2,"abc":3}'],
    ['a backslash before the closing quote of a value', '{"a":"x\\\\","b":"y"}'],
    ['empty containers', '{"a":{},"b":[],"c":[{}],"d":{"e":[]}}'],
    ['scalars at top level', '"{\\"a\\":1,\\"a\\":2}"'],
  ])('finds none: %s', (_what, text) => {
    expect(() => JSON.parse(text)).not.toThrow();
    expect(findDuplicateMember(text)).toBeNull();
  });

  it('gives the offset of the repeated name', () => {
    const text = '{"a":1,"a":2}';
    expect(findDuplicateMember(text)).toEqual({ name: 'a', offset: text.lastIndexOf('"a"') });
  });

  it('scans a large payload', () => {
    const entries = Array.from({ length: 5_000 }, (_, i) => ({ op: 'list', prefix: `61.4.${i >> 8}.${i & 255}/32`, reports: i + 1 }));
    const clean = JSON.stringify({ spamx: 1, entries });
    expect(findDuplicateMember(clean)).toBeNull();
    const dirty = clean.replace('"reports":4999}', '"reports":4999,"op":"delist"}');
    expect(findDuplicateMember(dirty)?.name).toBe('op');
  });
});

describe('scanJson and backslashes', () => {
  it.each([
    ['an escape in a value before plain names', '{"v":"x\\"y","a":1,"b":2,"a":3}', 'a', '"a":3'],
    ['an escaped name after many plain ones', '{"a":1,"b":2,"c":3,"\\u0062":4}', 'b', '"\\u0062"'],
    ['a value ending in an escaped backslash, then a name', '{"v":"\\\\","a":1,"a":2}', 'a', '"a":2'],
    ['a name whose first quote found is escaped', '{"a\\"":1,"b":2,"a\\"":3}', 'a"', '"a\\"":3'],
    ['escapes far apart', `{"v":"\\n","w":"${'x'.repeat(1000)}","z":"\\t","q":1,"q":2}`, 'q', '"q":2'],
  ])('finds a duplicate: %s', (_what, text, name, second) => {
    expect(() => JSON.parse(text)).not.toThrow();
    expect(findDuplicateMember(text)).toEqual({ name, offset: text.lastIndexOf(second) });
  });

  it.each([
    ['a value with an escaped quote and a name-like tail', '{"v":"\\",\\"v\\":","w":1}'],
    ['names with and without a trailing escaped backslash', '{"a\\\\":1,"a":2,"b":"\\\\","b\\\\":3}'],
  ])('finds none: %s', (_what, text) => {
    expect(() => JSON.parse(text)).not.toThrow();
    expect(findDuplicateMember(text)).toBeNull();
  });

  // A plain recursive-descent reading of valid JSON, for what scanJson answers: the first name
  // an object repeats (in text order) and the element commas of the top-level `entries` array.
  function reference(text: string): { duplicate: { name: string; offset: number } | null; commas: number[] | null } {
    let i = 0;
    let duplicate: { name: string; offset: number } | null = null;
    let commas: number[] | null = null;
    const ws = (): void => {
      while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
    };
    const string = (): string => {
      const start = i++;
      while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      return JSON.parse(text.slice(start, ++i)) as string;
    };
    const value = (depth: number, member: string | null): void => {
      ws();
      if (text[i] === '{') {
        i++;
        const names = new Set<string>();
        for (;;) {
          ws();
          if (text[i] === '}') break;
          if (text[i] === ',') i++, ws();
          const at = i;
          const name = string();
          if (names.has(name)) {
            duplicate = { name, offset: at };
            return;
          }
          names.add(name);
          ws();
          i++; // :
          value(depth + 1, depth === 0 ? name : null);
          if (duplicate) return;
          ws();
        }
        i++;
      } else if (text[i] === '[') {
        i++;
        const found: number[] = [];
        for (;;) {
          ws();
          if (text[i] === ']') break;
          if (text[i] === ',') found.push(i++);
          value(depth + 1, null);
          if (duplicate) return;
          ws();
        }
        i++;
        if (depth === 1 && member === 'entries' && commas === null) commas = found;
      } else if (text[i] === '"') {
        string();
      } else {
        while (i < text.length && !',]} \t\n\r'.includes(text[i]!)) i++;
      }
    };
    value(0, null);
    return duplicate ? { duplicate, commas: null } : { duplicate: null, commas };
  }

  it('answers as a plain parse does on random JSON full of escapes and look-alike names', () => {
    let seed = 2026;
    const random = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const names = ['a', 'b', 'op', 'entries', '\\u0061', '\\/', '/', 'a\\"b', 'a\\\\', '', 'é', '\\u00e9', '{', ',', '\\\\'];
    const strings = [...names, 'x\\"', '\\\\', '\\\\\\"', '}]', '\\n\\t', 'plain text', '{\\"a\\":1}', '😀'];
    const json = (depth: number): string => {
      const kind = depth > 3 ? random(3) : random(5);
      if (kind === 0) return String(random(1000));
      if (kind === 1) return `"${strings[random(strings.length)]}"`;
      if (kind === 2) return ['true', 'null', '-1.5e3'][random(3)]!;
      const count = random(5);
      const parts = Array.from({ length: count }, () => (kind === 3 ? `"${names[random(names.length)]}" : ${json(depth + 1)}` : json(depth + 1)));
      return kind === 3 ? `{${parts.join(random(2) ? ',' : ' ,\n')}}` : `[${parts.join(',')}]`;
    };
    let duplicates = 0;
    let arrays = 0;
    for (let k = 0; k < 5_000; k++) {
      const text = `{"spamx":1,"entries":${random(4) ? `[${Array.from({ length: random(4) }, () => json(1)).join(',')}]` : json(1)},"x":${json(1)}}`;
      expect(() => JSON.parse(text)).not.toThrow();
      const expected = reference(text);
      const scan = scanJson(text, 'entries')!;
      expect(scan.duplicate).toEqual(expected.duplicate);
      expect(scan.array?.commas ?? null).toEqual(expected.commas);
      if (expected.duplicate) duplicates++;
      if (expected.commas?.length) arrays++;
    }
    expect(duplicates).toBeGreaterThan(500);
    expect(arrays).toBeGreaterThan(500);
  });
});
