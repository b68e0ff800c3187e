import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * The default origin data read plainly, for tests to compute expected answers independently of
 * the range tables: every row of `@ip-location-db/asn-country`'s IPv4 CSV, in file order.
 */
export interface CountryRow {
  readonly start: number;
  readonly end: number;
  readonly country: string;
}

let rows: CountryRow[] | undefined;

export function countryRows(): CountryRow[] {
  if (rows) return rows;
  const file = createRequire(import.meta.url).resolve('@ip-location-db/asn-country/asn-country-ipv4-num.csv');
  rows = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [start, end, country] = line.split(',');
      return { start: Number(start), end: Number(end), country: country! };
    });
  return rows;
}

export const v4 = (text: string): number => text.split('.').reduce((n, part) => n * 256 + Number(part), 0);
export const v4Text = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

/** First and last address of an IPv4 prefix (`a.b.c.d/len` or a bare address). */
export function v4Range(prefix: string): [number, number] {
  const [address, len = '32'] = prefix.split('/');
  const start = v4(address!);
  return [start, start + 2 ** (32 - Number(len)) - 1];
}

/** Merged, sorted address ranges. */
export function mergeRanges(ranges: Iterable<readonly [number, number]>): [number, number][] {
  const sorted = [...ranges].map(([a, b]) => [a, b] as [number, number]).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out.at(-1);
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** The parts of [start, end] registered in one of `countries`, by a plain scan of every row. */
export function inCountries(start: number, end: number, countries: ReadonlySet<string>): [number, number][] {
  const out: [number, number][] = [];
  for (const r of countryRows()) {
    if (r.end < start || r.start > end || !countries.has(r.country)) continue;
    out.push([Math.max(r.start, start), Math.min(r.end, end)]);
  }
  return mergeRanges(out);
}

/** The country one address is registered in, by a plain scan; null when no row holds it. */
export function countryOf(address: number): string | null {
  return countryRows().find((r) => r.start <= address && address <= r.end)?.country ?? null;
}

/** `count` addresses registered in `country`, spread over its rows (the 7th address of every few). */
export function addressesIn(country: string, count: number, firstOctetAbove = 1): string[] {
  const own = countryRows().filter((r) => r.country === country && r.end - r.start >= 255 && r.start >>> 24 > firstOctetAbove);
  const step = Math.max(1, Math.floor(own.length / count));
  return Array.from({ length: count }, (_, i) => v4Text(own[(i * step) % own.length]!.start + 7));
}

/** An aligned /`length` block whose addresses are registered in exactly these two countries, both. */
export function straddlingBlock(a: string, b: string, length: number): string {
  const size = 2 ** (32 - length);
  const all = countryRows();
  for (let i = 0; i + 1 < all.length; i++) {
    const x = all[i]!;
    const y = all[i + 1]!;
    if (y.start !== x.end + 1) continue;
    if (!((x.country === a && y.country === b) || (x.country === b && y.country === a))) continue;
    const blockStart = Math.floor(x.end / size) * size;
    const blockEnd = blockStart + size - 1;
    // The boundary must fall inside the block, not at its end.
    if (blockStart >>> 24 < 2 || x.end === blockEnd) continue;
    const inside = all.filter((r) => r.end >= blockStart && r.start <= blockEnd);
    const covered = inside.reduce((n, r) => n + Math.min(r.end, blockEnd) - Math.max(r.start, blockStart) + 1, 0);
    if (covered === size && inside.every((r) => r.country === a || r.country === b)) return `${v4Text(blockStart)}/${length}`;
  }
  throw new Error(`no /${length} held by ${a} and ${b} alone`);
}

/** Ranges of a list of prefixes (IPv4 only; others ignored), merged. */
export function prefixRanges(prefixes: Iterable<string>): [number, number][] {
  return mergeRanges([...prefixes].filter((p) => !p.includes(':')).map(v4Range));
}
