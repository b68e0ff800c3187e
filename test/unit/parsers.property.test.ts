import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import dnsPacket from 'dns-packet';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCursor } from '../../src/core/change-stream.js';
import { BATCH_REJECTION_CODES, OTHER_CODES, REFUSAL_CODES, SpamxError } from '../../src/core/errors.js';
import { ifNoneMatchHits, parseEntityTagList } from '../../src/core/etag-list.js';
import { parseReport, parseReportObjects } from '../../src/core/report.js';
import { parseStrictJson } from '../../src/core/strict-json.js';
import { parseTimestamp } from '../../src/core/time.js';
import { DnsblIndex } from '../../src/read/dnsbl-index.js';
import { parseBlocklistQuery } from '../../src/serve/blocklist-export.js';
import { parseQueryName } from '../../src/serve/dnsbl/dnsbl-name.js';
import { answerQuery } from '../../src/serve/dnsbl/dnsbl-query.js';
import type { DnsblZone } from '../../src/serve/dnsbl/dnsbl-zone.js';
import { intParam } from '../../src/serve/query-params.js';
import type { PinnedKeySet } from '../../src/verify/pinned-keys.js';
import { checkCompactJwsBytes, verifyCompactJws } from '../../src/verify/verify-jws.js';
import { policy, prefix } from './fixtures.js';
import { header, makeKey, pinned, rawJws, type TestKey } from './signing.js';

/**
 * Issue 18: every parser a stranger reaches — compact JWS, strict JSON, DNS questions, ETag
 * lists, report lines, query parameters — answers any input with a value or a coded SpamxError
 * (a TypeError or RangeError escaping one is a 500, or a crashed thread), and none takes more
 * than linear time in its input: inputs 8× longer take well under the 64× a quadratic parser
 * would (a regular expression that backtracks, a rescan per element).
 */
const CODES = new Set<string>([...BATCH_REJECTION_CODES, ...REFUSAL_CODES, ...OTHER_CODES]);
const RUNS = { numRuns: 300 };

/** Runs `f`: a value, or a SpamxError with a known code; anything else fails the property. */
function codedOrValue(f: () => unknown): unknown {
  try {
    return f();
  } catch (err) {
    if (!(err instanceof SpamxError) || !CODES.has(err.code)) throw new Error(`threw ${String(err)} (not a coded SpamxError)`, { cause: err });
    return err;
  }
}

// A full collection before each timed run, so no run pays for an earlier one's garbage.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

/** Best of a few runs, in ms: the least disturbed by the machine's other work. */
function bestTime(f: () => unknown): number {
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    collect();
    const t0 = performance.now();
    codedOrValue(f);
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

/**
 * `run` on inputs `make(n)` and `make(8n)`: linear time grows about 8×, quadratic 64×. The bound
 * (24×, or 25 ms for inputs so fast the timer's grain rules) leaves room for a loaded machine
 * and the garbage collector.
 */
function expectLinear<T>(what: string, make: (n: number) => T, run: (input: T) => unknown, n: number): void {
  const small = make(n);
  const large = make(8 * n);
  bestTime(() => run(small)); // warm up the JIT on both shapes
  // A quadratic parser is 64x slower at 8n every time; a linear one on a loaded machine can miss
  // 24x once (another process, a major GC in the large run). Three tries tell the two apart.
  let tSmall = 0;
  let tLarge = Infinity;
  for (let attempt = 0; attempt < 3 && tLarge >= Math.max(24 * tSmall, 25); attempt++) {
    tSmall = bestTime(() => run(small));
    tLarge = bestTime(() => run(large));
  }
  expect(tLarge, `${what}: ${tSmall.toFixed(2)} ms for n=${n}, ${tLarge.toFixed(2)} ms for 8n`).toBeLessThan(Math.max(24 * tSmall, 25));
}

/** Text with the characters parsers care about over-represented. */
const nasty = fc.string({
  unit: fc.oneof(
    fc.constantFrom(' ', '\t', ',', '"', 'W', '/', '*', '.', ':', '#', '\n', '\r', '{', '}', '[', ']', '\\', '-', '_', '0', '9', 'a', 'f', '\u0000', '\u00ff', '\ud800'),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 200,
});

/** A fragment repeated `n` times, for the linear-time checks over generated shapes. */
const repeated = (fragment: string) => (n: number) => fragment.repeat(Math.max(1, Math.ceil(n / Math.max(1, fragment.length))));

describe('ETag lists (RFC 9110 §13.1.2)', () => {
  it('never throw, and a list always matches its own tags', () => {
    fc.assert(fc.property(nasty, fc.string(), (field, tag) => {
      const list = parseEntityTagList(field);
      expect(typeof ifNoneMatchHits(field, `"${tag}"`)).toBe('boolean');
      if (list !== undefined && list !== '*') for (const t of list) expect(ifNoneMatchHits(field, t.opaque)).toBe(true);
    }), RUNS);
  });

  it('take linear time', () => {
    expectLinear('spaces', (n) => `a${' '.repeat(n)}`, (v) => ifNoneMatchHits(v, '"x"'), 50_000);
    expectLinear('empty elements', (n) => ` ,`.repeat(n), (v) => ifNoneMatchHits(v, '"x"'), 50_000);
    expectLinear('tags', (n) => 'W/"abc", '.repeat(n / 8), (v) => ifNoneMatchHits(v, '"x"'), 50_000);
    fc.assert(fc.property(nasty.filter((s) => s.length > 0), (fragment) => expectLinear(JSON.stringify(fragment), repeated(fragment), (v) => ifNoneMatchHits(v, '"x"'), 20_000)), { numRuns: 20 });
  });
});

describe('strict JSON (core/strict-json.ts)', () => {
  it('gives BATCH_INVALID_JSON or BATCH_DUPLICATE_KEY, never another error', () => {
    fc.assert(fc.property(fc.oneof(nasty, fc.json(), fc.json().map((j) => j.replace(/\}$/, ',"a":1,"a":2}'))), (text) => {
      codedOrValue(() => parseStrictJson(text, 'payload'));
    }), RUNS);
  });

  it('takes linear time, however deep or wide', () => {
    expectLinear('nesting', (n) => '['.repeat(n) + ']'.repeat(n), (t) => parseStrictJson(t, 'payload'), 2_000);
    expectLinear('open nesting', (n) => '{"a":'.repeat(n), (t) => parseStrictJson(t, 'payload'), 2_000);
    expectLinear('members', (n) => `{${Array.from({ length: n }, (_, i) => `"m${i}":${i}`).join(',')}}`, (t) => parseStrictJson(t, 'payload'), 20_000);
    expectLinear('escapes', (n) => `"${'\\u0041\\n'.repeat(n)}"`, (t) => parseStrictJson(t, 'payload'), 20_000);
    expectLinear('spaces', (n) => `{${' '.repeat(n)}`, (t) => parseStrictJson(t, 'payload'), 100_000);
  });
});

describe('compact JWS (verify/verify-jws.ts)', () => {
  let key: TestKey;
  let keys: PinnedKeySet;
  beforeAll(async () => {
    key = await makeKey();
    keys = await pinned(key);
  });
  const b64u = (s: string | Uint8Array) => Buffer.from(s).toString('base64url');
  const TYP = 'spamx-batch+jws';
  const check = (jws: string) => {
    codedOrValue(() => verifyCompactJws(jws, keys, TYP));
    codedOrValue(() => checkCompactJwsBytes(Buffer.concat([Buffer.of(0), Buffer.from(jws)]), TYP));
  };

  it('refuses any string, any header and any payload with a code', () => {
    fc.assert(fc.property(nasty, check), RUNS);
    const part = fc.oneof(nasty.map(b64u), fc.json().map(b64u), fc.uint8Array({ maxLength: 80 }).map(b64u), nasty);
    fc.assert(fc.property(part, part, part, (h, p, s) => check(`${h}.${p}.${s}`)), RUNS);
    // Signed, so every check before the payload's passes: any header members, any payload bytes.
    const members = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
    fc.assert(fc.property(members, fc.oneof(fc.json(), nasty), (extra, payload) => check(rawJws(header(key, extra), payload, key))), { numRuns: 200 });
  });

  it('takes linear time', () => {
    const signed = (n: number) => rawJws(header(key), `{"entries":[${'1,'.repeat(n)}1]}`, key);
    expectLinear('payload', signed, check, 50_000);
    expectLinear('dots', (n) => '.'.repeat(n), check, 50_000);
    expectLinear('header', (n) => `${b64u(`{"alg":"EdDSA","x":"${'a'.repeat(n)}"}`)}.e30.AA`, check, 50_000);
    expectLinear('nested header', (n) => `${b64u('['.repeat(n) + ']'.repeat(n))}.e30.AA`, check, 5_000);
  });
});

describe('DNS questions (serve/dnsbl)', () => {
  const index = new DnsblIndex();
  index.set(prefix('61.4.12.7').key, 'cn-isc');
  const zone: DnsblZone = { zone: 'bl.test', ttl: 60, nameserver: 'ns.bl.test', index, serial: 1, publicUrl: 'http://127.0.0.1' };
  const label = fc.oneof(fc.constantFrom('7', '12', '4', '61', 'a', '0', 'ffff', 'bl', 'test', ''), fc.string({ unit: 'binary', maxLength: 70 }));
  const name = fc.array(label, { maxLength: 40 }).map((ls) => [...ls, 'bl', 'test'].join('.'));

  it('answer or drop any message, and never throw', () => {
    const answer = (message: Uint8Array) => {
      for (const transport of ['udp', 'tcp'] as const) {
        const out = answerQuery(Buffer.from(message), zone, transport);
        expect(out === undefined || Buffer.isBuffer(out)).toBe(true);
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), answer), RUNS);
    const query = fc.record({
      id: fc.integer({ min: 0, max: 0xffff }),
      flags: fc.integer({ min: 0, max: 0xffff }),
      name,
      type: fc.constantFrom('A', 'AAAA', 'TXT', 'SOA', 'NS', 'ANY', 'MX'),
    });
    fc.assert(fc.property(query, fc.array(fc.nat(600), { maxLength: 3 }), fc.uint8Array({ maxLength: 3 }), (q, cuts, bytes) => {
      let message: Buffer;
      try {
        message = dnsPacket.encode({ type: 'query', id: q.id, flags: q.flags, questions: [{ type: q.type as 'A', name: q.name }] });
      } catch {
        return; // a name dns-packet cannot encode (a label over 63 bytes): nothing to send
      }
      answer(message);
      // The same message cut, or with bytes overwritten: truncated and corrupted packets.
      for (const cut of cuts) answer(message.subarray(0, cut));
      const corrupt = Buffer.from(message);
      bytes.forEach((b, i) => corrupt.writeUInt8(b, (cuts[i] ?? i) % corrupt.length));
      answer(corrupt);
    }), RUNS);
    fc.assert(fc.property(fc.oneof(name, fc.string({ unit: 'binary' })), (n) => {
      expect(parseQueryName(n, 'bl.test').kind).toMatch(/^(apex|v4|v6|ancestor|none|outside)$/);
    }), RUNS);
  });

  it('take linear time in the message', () => {
    // Many questions, each a compression pointer to the first name (RFC 1035 §4.1.4).
    const pointers = (n: number) => {
      const first = dnsPacket.encode({ type: 'query', id: 1, questions: [{ type: 'A', name: '7.12.4.61.bl.test' }] });
      const more = Buffer.alloc(n * 6);
      for (let i = 0; i < n; i++) more.writeUInt16BE(0xc00c, i * 6), more.writeUInt32BE(0x00010001, i * 6 + 2);
      const message = Buffer.concat([first, more]);
      message.writeUInt16BE(Math.min(n + 1, 0xffff), 4);
      return message;
    };
    expectLinear('questions', pointers, (m) => answerQuery(m, zone, 'tcp'), 2_500);
    expectLinear('name', (n) => `${'a.'.repeat(n)}bl.test`, (s) => parseQueryName(s, 'bl.test'), 20_000);
  });
});

describe('report lines (core/report.ts)', () => {
  const now = Date.UTC(2025, 0, 1);
  it('accept or refuse each line, and refuse a whole file only with a code', () => {
    const line = fc.oneof(nasty, fc.constantFrom('61.4.12.7', '116.31.64.0/24', '2400:cb00::/32', '10.0.0.1', 'prefix,reports', '61.4.12.7,3', '"61.4.12.7'));
    fc.assert(fc.property(fc.array(line, { maxLength: 12 }), (lines) => {
      const parsed = codedOrValue(() => parseReport(lines.join('\n'), now, policy()));
      if (!(parsed instanceof SpamxError)) expect(parsed).toHaveProperty('accepted');
    }), RUNS);
    fc.assert(fc.property(fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 8 }), (objects) => {
      codedOrValue(() => parseReportObjects(objects, now, policy()));
    }), RUNS);
  });

  it('take linear time', () => {
    // 20,000 lines, not 5,000: below that the lines' queue still fits the CPU caches and 8n took
    // 16-18× n even before reports were streamed, near the bound on a loaded machine.
    expectLinear('lines', (n) => '61.4.12.7\n'.repeat(n), (t) => parseReport(t, now, policy()), 20_000);
    expectLinear('one long line', (n) => `61.4.12.7${' '.repeat(n)}x`, (t) => parseReport(t, now, policy()), 50_000);
    expectLinear('comments', (n) => `#${'#'.repeat(n)}\n`, (t) => parseReport(t, now, policy()), 50_000);
    expectLinear('csv', (n) => `prefix,reports\n${'61.4.12.7,3\n'.repeat(n)}`, (t) => parseReport(t, now, policy()), 2_000);
    expectLinear('dotted', (n) => '1.'.repeat(n), (t) => parseReport(t, now, policy()), 20_000);
    expectLinear('colons', (n) => '1:'.repeat(n), (t) => parseReport(t, now, policy()), 20_000);
  });
});

describe('query parameters (serve/query-params.ts, the blocklist filters)', () => {
  const param = fc.oneof(fc.constant(undefined), nasty, fc.constantFrom('4', '6', '1', '0', '2024-01-01T00:00:00Z', 'true', 'txt', 'rbldnsd'));
  it('read a value or refuse it with BAD_REQUEST', () => {
    fc.assert(fc.property(param, (v) => {
      const out = codedOrValue(() => intParam(v, 'after', 0, 0, Number.MAX_SAFE_INTEGER));
      if (out instanceof SpamxError) expect(out.code).toBe('BAD_REQUEST');
      else expect(Number.isSafeInteger(out)).toBe(true);
      const cursor = parseCursor(v ?? '');
      expect(cursor === undefined || (typeof cursor.epoch === 'string' && Number.isSafeInteger(cursor.changeId))).toBe(true);
      const t = parseTimestamp(v);
      expect(t === undefined || Number.isFinite(t)).toBe(true);
    }), RUNS);
    const names = ['format', 'family', 'min_sources', 'since', 'aggregate', 'source'] as const;
    const query = fc.record(Object.fromEntries(names.map((n) => [n, param])) as Record<(typeof names)[number], fc.Arbitrary<string | undefined>>);
    fc.assert(fc.property(query, fc.array(nasty, { maxLength: 5 }), (q, sources) => {
      const out = codedOrValue(() => parseBlocklistQuery((n) => q[n as keyof typeof q], (n) => (n === 'source' ? sources : [])));
      if (out instanceof SpamxError) expect(out.code).toBe('BAD_REQUEST');
    }), RUNS);
  });

  it('take linear time, and refuse a filter of too many values before reading them', () => {
    const blocklist = (sources: string[]) => parseBlocklistQuery(() => undefined, (n) => (n === 'source' ? sources : []));
    const tooMany = codedOrValue(() => blocklist([Array.from({ length: 101 }, (_, i) => `a${i}`).join(',')]));
    expect(tooMany).toBeInstanceOf(SpamxError);
    expect((tooMany as SpamxError).code).toBe('BAD_REQUEST');
    expect(codedOrValue(() => blocklist([Array.from({ length: 100 }, (_, i) => `a${i}`).join(',')]))).not.toBeInstanceOf(SpamxError);
    expectLinear('source list', (n) => [Array.from({ length: n }, (_, i) => `a${i}`).join(',')], blocklist, 20_000);
    expectLinear('commas', (n) => [','.repeat(n)], blocklist, 50_000);
    expectLinear('since', (n) => `2024-01-01T00:00:00${'0'.repeat(n)}Z`, (t) => parseTimestamp(t), 50_000);
    expectLinear('integer', (n) => '9'.repeat(n), (v) => intParam(v, 'after', 0, 0, 10), 50_000);
    expectLinear('cursor', (n) => `${'a'.repeat(n)}.1`, (v) => parseCursor(v), 50_000);
  });
});
