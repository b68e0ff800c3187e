import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadOrigins, originPackage } from '../../src/config/origin-files.js';
import { AsNames } from '../../src/core/as-names.js';
import type { OriginPiece, OriginScope } from '../../src/core/origin.js';
import { familyRanges, packCountry, type FamilyRanges } from '../../src/core/origin-ranges.js';
import { OriginTable } from '../../src/core/origin-table.js';
import { formatAddress, parsePrefix } from '../../src/core/prefix.js';

/**
 * The origin table (src/core/origin-table.ts) against the real package files, read here
 * independently of the loader: the text form of the IPv4 files (the loader reads the decimal
 * one) and the decimal form of the IPv6 ones (the loader reads the text one), split by hand,
 * every lookup answered by a plain linear scan of all rows under the documented rule (the
 * narrowest range holding the address; of equally wide ones the last given).
 */

interface Row {
  start: bigint;
  end: bigint;
  value: string | number;
}

function v4(text: string): bigint {
  return BigInt(text.split('.').reduce((a, o) => a * 256 + Number(o), 0));
}

/** CSV fields, the last one possibly quoted with doubled quotes inside. */
function fields(line: string, count: number): string[] {
  const out: string[] = [];
  let rest = line;
  for (let i = 0; i < count - 1; i++) {
    const comma = rest.indexOf(',');
    out.push(rest.slice(0, comma));
    rest = rest.slice(comma + 1);
  }
  out.push(rest.startsWith('"') ? rest.slice(1, -1).replaceAll('""', '"') : rest);
  return out;
}

function rows(file: string, count: number, address: (t: string) => bigint, value: (f: string[]) => string | number): Row[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const f = fields(l, count);
      return { start: address(f[0]!), end: address(f[1]!), value: value(f) };
    });
}

let table: OriginTable;
const data = { country4: [] as Row[], asn4: [] as Row[], country6: [] as Row[], asn6: [] as Row[] };
const names = new Map<number, string>();

beforeAll(() => {
  table = loadOrigins({ origins: { delegated: ['origins/delegated'], asn: [] }, paths: { dir: '/nonexistent-node-dir' } }).table;
  const c = originPackage('@ip-location-db/asn-country').dir;
  const a = originPackage('@ip-location-db/asn').dir;
  data.country4 = rows(join(c, 'asn-country-ipv4.csv'), 3, v4, (f) => f[2]!);
  data.country6 = rows(join(c, 'asn-country-ipv6-num.csv'), 3, BigInt, (f) => f[2]!);
  data.asn4 = rows(join(a, 'asn-ipv4.csv'), 4, v4, (f) => Number(f[2]));
  data.asn6 = rows(join(a, 'asn-ipv6-num.csv'), 4, BigInt, (f) => Number(f[2]));
  const asnRows = readFileSync(join(a, 'asn-ipv4.csv'), 'utf8').split('\n').concat(readFileSync(join(a, 'asn-ipv6-num.csv'), 'utf8').split('\n'));
  for (const l of asnRows.filter((x) => x)) {
    const f = fields(l, 4);
    if (!names.has(Number(f[2])) && f[3]) names.set(Number(f[2]), f[3]);
  }
}, 120_000);

/**
 * The value of the narrowest row holding the address (the last of equally wide ones), by a scan
 * of every row; rows for no country (ZZ) or AS0 give nothing.
 */
function scan(list: readonly Row[], address: bigint): string | number | null {
  let best: Row | null = null;
  for (const r of list) {
    if (r.value === 'ZZ' || r.value === 0) continue;
    if (r.start <= address && address <= r.end && (best === null || r.end - r.start <= best.end - best.start)) best = r;
  }
  return best === null ? null : best.value;
}

/** scan() for IPv4 rows as doubles: the same loop, without BigInt, over 550,000 rows a lookup. */
interface Columns {
  starts: Float64Array;
  ends: Float64Array;
  values: (string | number)[];
}

function columns(list: readonly Row[]): Columns {
  const kept = list.filter((r) => r.value !== 'ZZ' && r.value !== 0);
  return { starts: Float64Array.from(kept, (r) => Number(r.start)), ends: Float64Array.from(kept, (r) => Number(r.end)), values: kept.map((r) => r.value) };
}

function scan4(c: Columns, address: number): string | number | null {
  let best = -1;
  const { starts, ends } = c;
  for (let i = 0; i < starts.length; i++) {
    if (starts[i]! <= address && address <= ends[i]! && (best < 0 || ends[i]! - starts[i]! <= ends[best]! - starts[best]!)) best = i;
  }
  return best < 0 ? null : c.values[best]!;
}

let columns4: { country: Columns; asn: Columns } | undefined;

function expected(family: 4 | 6, address: bigint) {
  columns4 ??= { country: columns(data.country4), asn: columns(data.asn4) };
  const country = (family === 4 ? scan4(columns4.country, Number(address)) : scan(data.country6, address)) as string | null;
  const asn = (family === 4 ? scan4(columns4.asn, Number(address)) : scan(data.asn6, address)) as number | null;
  return { country, asn, asName: asn === null ? null : (names.get(asn) ?? null), registry: null };
}

function text4(n: bigint): string {
  const x = Number(n);
  return `${x >>> 24}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}`;
}

function text6(n: bigint): string {
  return formatAddress(6, n);
}

/** Seeded xorshift32. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** Addresses around every sampled row's edges, and random ones. */
function samples(list: readonly Row[], randomOnes: bigint[], every: number, max: bigint): bigint[] {
  const out = new Set<bigint>(randomOnes);
  for (let i = 0; i < list.length; i += every) {
    const r = list[i]!;
    for (const a of [r.start - 1n, r.start, r.end, r.end + 1n]) if (a >= 0n && a <= max) out.add(a);
  }
  return [...out];
}

describe('origin table over the pinned packages', () => {
  it('answers every sampled IPv4 address as a linear scan of the CSV rows does', () => {
    const next = random(7);
    const randomOnes = Array.from({ length: 600 }, () => BigInt(Math.floor(next() * 2 ** 32)));
    const addresses = [...samples(data.country4, [], 400, 2n ** 32n - 1n), ...samples(data.asn4, randomOnes, 1200, 2n ** 32n - 1n)];
    // The asn package's one overlap: 215.0.0.0/16 is AS749's and, narrower, AS721's.
    addresses.push(v4('215.0.0.1'), v4('214.95.0.1'), v4('215.1.3.255'), v4('215.1.4.0'));
    expect(addresses.length).toBeGreaterThan(2000);
    const wrong = addresses.filter((a) => JSON.stringify(table.originOf(text4(a))) !== JSON.stringify(expected(4, a)));
    expect(wrong.map(text4)).toEqual([]);
    expect(table.originOf('215.0.0.1').asn).toBe(721);
    expect(table.originOf('214.95.0.1').asn).toBe(749);
  }, 120_000);

  it('answers every sampled IPv6 address as a linear scan does', () => {
    const next = random(11);
    // Random addresses inside the data's span (2001:: to 2c0f::), most of them in no range.
    const randomOnes = Array.from({ length: 150 }, () => (0x2001n << 112n) + (BigInt(Math.floor(next() * 2 ** 32)) << 92n) + BigInt(Math.floor(next() * 2 ** 32)));
    const addresses = [...samples(data.country6, [], 800, 2n ** 128n - 1n), ...samples(data.asn6, randomOnes, 1200, 2n ** 128n - 1n)];
    expect(addresses.length).toBeGreaterThan(500);
    const wrong = addresses.filter((a) => JSON.stringify(table.originOf(text6(a))) !== JSON.stringify(expected(6, a)));
    expect(wrong.map(text6)).toEqual([]);
  }, 120_000);

  it('numeric lookups agree with text ones; a bad address is refused with a code', () => {
    const s = table.originOf4(Number(v4('61.4.12.7')));
    expect({ country: table.countryAt(s), asn: table.asnAt(s) }).toMatchObject({ country: table.originOf('61.4.12.7').country, asn: table.originOf('61.4.12.7').asn });
    expect(table.originOf4(Number(v4('10.1.2.3')))).toBe(-1);
    expect(table.originOf('10.1.2.3')).toEqual({ country: null, asn: null, asName: null, registry: null });
    expect(() => table.originOf('61.4.12.0/24')).toThrow(expect.objectContaining({ code: 'PREFIX_INVALID' }));
    expect(() => table.originOf('not an address')).toThrow(expect.objectContaining({ code: 'PREFIX_INVALID' }));
  });

  it('splits a prefix spanning two countries exactly at the boundary', () => {
    // Adjacent rows of different countries whose boundary lies inside some /16.
    const i = data.country4.findIndex((r, k) => {
      const n = data.country4[k + 1];
      return n && n.start === r.end + 1n && n.value !== r.value && r.start >> 16n === n.end >> 16n;
    });
    const [a, b] = [data.country4[i]!, data.country4[i + 1]!];
    const start = (a.start >> 16n) << 16n;
    const end = start + 65535n;
    const pieces = table.split(4, Number(start), Number(end));
    checkCover(pieces, start, end);
    expect(pieces.some((p) => BigInt(p.start) === b.start)).toBe(true);
    for (const p of pieces) {
      const inA = BigInt(p.start) >= a.start && BigInt(p.end) <= a.end;
      const inB = BigInt(p.start) >= b.start && BigInt(p.end) <= b.end;
      if (inA) expect(p.country).toBe(a.value);
      if (inB) expect(p.country).toBe(b.value);
      expect(inA || inB || BigInt(p.end) < a.start || BigInt(p.start) > b.end).toBe(true);
      for (const at of [p.start, p.end]) expect(originOfPiece(at as number)).toEqual({ country: p.country, asn: p.asn });
    }
  });

  it('splits IPv6 ranges at origin boundaries, and a range inside one segment is one piece with the given text', () => {
    const r = data.country6.find((x, k) => data.country6[k + 1]?.start === x.end + 1n && data.country6[k + 1]!.value !== x.value)!;
    const start = r.end - 0xffffn;
    const end = r.end + 0x10000n;
    const pieces = table.split(6, start, end);
    checkCover(pieces, start, end);
    expect(pieces.some((p) => p.start === r.end + 1n)).toBe(true);
    for (const p of pieces) expect(table.originOf(text6(p.start as bigint)).country).toBe(p.country);
    const inside = table.split(4, Number(v4('8.8.8.0')), Number(v4('8.8.8.255')), '8.8.8.0/24');
    expect(inside).toEqual([{ family: 4, start: Number(v4('8.8.8.0')), end: Number(v4('8.8.8.255')), prefix: '8.8.8.0/24', country: 'US', asn: 15169 }]);
  });

  it('shares its arrays through a structured clone; AS names stay behind', () => {
    const copy = OriginTable.fromShared(structuredClone(table.toShared()));
    expect(copy.digest).toBe(table.digest);
    expect(copy.datasets).toEqual(table.datasets);
    for (const a of ['8.8.8.8', '61.4.12.7', '2001:200::1', '2a00:1450::1']) {
      expect(copy.originOf(a)).toEqual({ ...table.originOf(a), asName: null });
    }
    expect(copy.toShared().asn.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(table.datasets.map((d) => d.name)).toEqual(['@ip-location-db/asn-country 2.3.2026061719', '@ip-location-db/asn 2.3.2026061719']);
    expect(table.datasets.map((d) => d.date)).toEqual(['2026-06-17', '2026-06-17']);
    expect(table.digest).toMatch(/^[0-9a-f]{16}$/);
  });

  it('intersects ranges of real data with a scope as a brute-force walk over their addresses does', () => {
    const scope: OriginScope = { countries: ['JP'], asns: [15169], within: ['61.4.0.0/22'] };
    const compiled = table.compileScope(scope);
    const jp = data.country4.find((r, k) => r.value === 'JP' && data.country4[k + 1]?.start === r.end + 1n)!;
    const ranges: [bigint, bigint][] = [
      [v4('8.8.4.0'), v4('8.8.11.255')],
      [v4('61.3.252.0'), v4('61.4.3.255') + 1024n],
      [jp.end - 700n, jp.end + 900n],
      [v4('4.0.0.0'), v4('4.0.3.255')],
    ];
    for (const [start, end] of ranges) {
      const got = table.intersect(4, Number(start), Number(end), compiled);
      const want: number[] = [];
      for (let a = Number(start); a <= Number(end); a++) {
        const o = originOfPiece(a);
        if (o.country === 'JP' || o.asn === 15169 || (a >= Number(v4('61.4.0.0')) && a <= Number(v4('61.4.3.255')))) want.push(a);
      }
      const covered: number[] = [];
      for (const p of got) {
        expect(parsePrefix(p.prefix).ok).toBe(true);
        for (let a = p.start as number; a <= (p.end as number); a++) {
          covered.push(a);
          expect(originOfPiece(a)).toEqual({ country: p.country, asn: p.asn });
        }
      }
      expect(covered).toEqual(want);
      expect(table.overlaps(4, Number(start), Number(end), compiled)).toBe(want.length > 0);
    }
    expect(table.intersect(4, Number(v4('4.0.0.0')), Number(v4('4.0.0.255')), compiled)).toHaveLength(0);
    expect(table.scopeCidrs(compiled)).toContain('61.4.0.0/22');
  });
});

function originOfPiece(a: number) {
  const s = table.originOf4(a);
  return { country: table.countryAt(s), asn: table.asnAt(s) };
}

/** Pieces are CIDR blocks in address order covering [start, end] exactly. */
function checkCover(pieces: readonly OriginPiece[], start: bigint, end: bigint): void {
  let at = start;
  for (const p of pieces) {
    expect(BigInt(p.start)).toBe(at);
    const parsed = parsePrefix(p.prefix);
    expect(parsed.ok && BigInt(parsed.prefix.start) === BigInt(p.start)).toBe(true);
    const size = BigInt(p.end) - BigInt(p.start) + 1n;
    expect(size & (size - 1n)).toBe(0n);
    at = BigInt(p.end) + 1n;
  }
  expect(at).toBe(end + 1n);
}

describe('origin table over synthetic overlapping data', () => {
  /** Random ranges inside 61.4.0.0/22 (1,024 addresses), of both kinds, overlapping. */
  function synthetic(seed: number) {
    const next = random(seed);
    const base = Number(v4('61.4.0.0'));
    const country = familyRanges();
    const asn = familyRanges();
    const raw = { country: [] as [number, number, number][], asn: [] as [number, number, number][] };
    const pick = (n: number) => Math.floor(next() * n);
    for (let i = 0; i < 40; i++) {
      const s = base + pick(1024);
      const e = Math.min(base + 1023, s + pick(i % 5 === 0 ? 600 : 40));
      const cc = packCountry(0x41 + pick(3), 0x41 + pick(2));
      country.v4.push4(s, e, cc);
      raw.country.push([s, e, cc]);
      const s2 = base + pick(1024);
      const e2 = Math.min(base + 1023, s2 + pick(i % 7 === 0 ? 800 : 30));
      const as = 1 + pick(4);
      asn.v4.push4(s2, e2, as);
      raw.asn.push([s2, e2, as]);
    }
    return { base, country, asn, raw };
  }

  function ruled(list: [number, number, number][], a: number): number {
    let best = -1;
    list.forEach(([s, e], k) => {
      if (s <= a && a <= e && (best < 0 || e - s <= list[best]![1] - list[best]![0])) best = k;
    });
    return best < 0 ? 0 : list[best]![2];
  }

  it('applies the overlap rule and intersects as brute force does, for many random data sets and scopes', () => {
    for (let seed = 1; seed <= 25; seed++) {
      const { base, country, asn, raw } = synthetic(seed);
      const t = OriginTable.build({ country, asn, datasets: [{ name: 'synthetic', date: '2026-12-06', sha256: '0'.repeat(64) }] });
      const cc = (code: number) => (code === 0 ? null : String.fromCharCode(code >> 8, code & 255));
      for (let a = base - 2; a <= base + 1025; a++) {
        const s = t.originOf4(a);
        expect({ country: t.countryAt(s), asn: t.asnAt(s) }, `seed ${seed} address ${a - base}`).toEqual({ country: cc(ruled(raw.country, a)), asn: ruled(raw.asn, a) || null });
      }
      const scope: OriginScope = { countries: ['AB'], asns: [2], within: [`61.4.${seed % 4}.${(seed * 16) % 256}/28`] };
      const compiled = t.compileScope(scope);
      for (const [s, e] of [[base, base + 1023], [base + 100, base + 355], [base + 512, base + 515]]) {
        const got = t.intersect(4, s!, e!, compiled);
        const want: number[] = [];
        const withinStart = Number(v4(scope.within[0]!.split('/')[0]!));
        for (let a = s!; a <= e!; a++) {
          if (cc(ruled(raw.country, a)) === 'AB' || ruled(raw.asn, a) === 2 || (a >= withinStart && a < withinStart + 16)) want.push(a);
        }
        const covered: number[] = [];
        for (const p of got) for (let a = p.start as number; a <= (p.end as number); a++) {
          covered.push(a);
          expect(p.country).toBe(cc(ruled(raw.country, a)));
          expect(p.asn).toBe(ruled(raw.asn, a) || null);
        }
        expect(covered, `seed ${seed}`).toEqual(want);
      }
    }
  });

  it('keeps ranges that reach the last address of either family', () => {
    const country = familyRanges();
    const asn = familyRanges();
    country.v4.push4(0xfffffe00, 0xffffffff, packCountry(0x4a, 0x50));
    asn.v4.push4(0xffffff00, 0xffffffff, 64500);
    for (const [list, first, value] of [[country.v6, 0xfffffff0, packCountry(0x4a, 0x50)], [asn.v6, 0xffffffff, 64500]] as const) {
      const k = list.reserve();
      list.starts.set([0xffffffff, 0xffffffff, 0xffffffff, first], k * 4);
      list.ends.set([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], k * 4);
      list.values[k] = value;
    }
    const t = OriginTable.build({ country, asn, datasets: [] });
    expect(t.segmentCount(4)).toBe(2);
    expect(t.segmentCount(6)).toBe(2);
    expect([t.originOf('255.255.254.255'), t.originOf('255.255.255.255')].map((o) => [o.country, o.asn])).toEqual([['JP', null], ['JP', 64500]]);
    const last6 = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';
    expect([t.originOf('ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0'), t.originOf(last6)].map((o) => [o.country, o.asn])).toEqual([['JP', null], ['JP', 64500]]);
    expect(t.split(4, 0xfffffe00, 0xffffffff).map((p) => [p.prefix, p.asn])).toEqual([['255.255.254.0/24', null], ['255.255.255.0/24', 64500]]);
    expect(t.split(6, (1n << 128n) - 16n, (1n << 128n) - 1n).map((p) => p.prefix)).toEqual(['ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0/125', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff8/126', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffc/127', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/128', `${last6}/128`]);
  });

  it('does the same over IPv6 words', () => {
    const base = (0x2400cb00n << 96n) + 0x1000n;
    const country: FamilyRanges = familyRanges();
    const asn: FamilyRanges = familyRanges();
    const put = (list: typeof country.v6, s: bigint, e: bigint, value: number) => {
      const k = list.reserve();
      for (let w = 0; w < 4; w++) {
        list.starts[k * 4 + w] = Number((s >> BigInt(96 - 32 * w)) & 0xffffffffn);
        list.ends[k * 4 + w] = Number((e >> BigInt(96 - 32 * w)) & 0xffffffffn);
      }
      list.values[k] = value;
    };
    // A wide range, a narrower one inside it, an equally wide later one, a gap, and neighbours.
    put(country.v6, base, base + 511n, packCountry(0x4a, 0x50)); // JP
    put(country.v6, base + 100n, base + 199n, packCountry(0x4b, 0x52)); // KR inside
    put(country.v6, base + 100n, base + 199n, packCountry(0x43, 0x4e)); // CN, same width, later: wins
    put(country.v6, base + 600n, base + 700n, packCountry(0x4a, 0x50));
    put(asn.v6, base + 150n, base + 650n, 2500);
    const t = OriginTable.build({ country, asn, datasets: [] });
    const names = new AsNames();
    names.addText(2500, 'WIDE Project');
    const named = OriginTable.build({ country, asn, datasets: [], asNames: names });
    const want = (a: bigint) => ({
      country: a >= base + 100n && a <= base + 199n ? 'CN' : (a >= base && a <= base + 511n) || (a >= base + 600n && a <= base + 700n) ? 'JP' : null,
      asn: a >= base + 150n && a <= base + 650n ? 2500 : null,
    });
    for (let a = base - 3n; a <= base + 704n; a++) {
      const o = t.originOf(text6(a));
      expect({ country: o.country, asn: o.asn }, `+${a - base}`).toEqual(want(a));
    }
    expect(named.originOf(text6(base + 160n)).asName).toBe('WIDE Project');
    const pieces = t.split(6, base, base + 1023n);
    checkCover(pieces, base, base + 1023n);
    for (const p of pieces) for (const a of [p.start as bigint, p.end as bigint]) expect({ country: p.country, asn: p.asn }).toEqual(want(a));
    const compiled = t.compileScope({ countries: ['CN'], asns: [], within: [] });
    const got = t.intersect(6, base, base + 1023n, compiled);
    expect(got.map((p) => [p.start, p.end])).toEqual(
      t.split(6, base + 100n, base + 199n).map((p) => [p.start, p.end]),
    );
    expect(t.intersect(6, base + 300n, base + 340n, compiled)).toHaveLength(0);
    expect(t.overlaps(6, base + 190n, base + 300n, compiled)).toBe(true);
  });
});
