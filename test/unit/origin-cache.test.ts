import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORIGIN_CACHE_FILE, readOriginCache } from '../../src/config/origin-cache-reader.js';
import { defaultOriginSources, loadOriginTable, type OriginConfig } from '../../src/config/origin-files.js';
import { AsNames } from '../../src/core/as-names.js';
import { decodeOriginCacheHeader, originCacheLayout, type OriginCacheSource } from '../../src/core/origin-cache-format.js';
import { familyRanges, packCountry } from '../../src/core/origin-ranges.js';
import { OriginTable } from '../../src/core/origin-table.js';
import { prebuildDefaultOrigins, writeOriginCache } from '../../src/node-files/origin-cache.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * The default origin tables prebuilt at install (src/node-files/origin-cache.ts) and read back
 * (src/config/origin-cache-reader.ts): equal in every respect to the tables parsed from the
 * CSVs, used only for the default data, and passed over (the CSVs parsed instead) when stale
 * or damaged. Files are written in a temporary directory, never over the repository's own.
 */

const DEFAULT: OriginConfig = { origins: { delegated: [], asn: [] }, paths: { dir: '/nonexistent-node-dir' } };
const tmp = tempDir('spamx-origin-cache-');
let parsed: OriginTable;
let sources: OriginCacheSource[];
/** The parsed tables saved, and a one-segment table saved as if built from the same packages. */
let full: string;
let tiny: string;

/** A table that cannot be mistaken for the default one: loading it proves the file was used. */
function tinyTable(): OriginTable {
  const country = familyRanges();
  const asn = familyRanges();
  country.v4.push4(0xc0000200, 0xc00002ff, packCountry(0x58, 0x58));
  asn.v4.push4(0xc0000200, 0xc00002ff, 64500);
  const names = new AsNames();
  names.addText(64500, 'Tiny "Test" Net');
  return OriginTable.build({ country, asn, asNames: names, datasets: [{ name: 'tiny', date: '2026-01-01', sha256: '00'.repeat(32) }] });
}

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const expectParsed = (t: OriginTable) => {
  expect(t.digest).toBe(parsed.digest);
  expect(t.segmentCount(4)).toBe(parsed.segmentCount(4));
  expect(t.asNameCount).toBe(parsed.asNameCount);
};

beforeAll(() => {
  parsed = loadOriginTable(DEFAULT, null);
  sources = defaultOriginSources();
  full = join(tmp.path, 'full.bin');
  writeOriginCache(full, parsed, sources);
  tiny = join(tmp.path, 'tiny.bin');
  writeOriginCache(tiny, tinyTable(), sources);
}, 120_000);
afterAll(() => tmp.cleanup());

describe('prebuilt default origin tables', () => {
  it('read back equal to the tables parsed from the CSVs', () => {
    const read = readOriginCache(full, sources);
    if (!read.ok) throw new Error(read.reason);
    const t = read.table;
    expect(t.digest).toBe(parsed.digest);
    expect(t.datasets).toEqual(parsed.datasets);
    expect(t.datasets.map((d) => d.name)).toEqual(['@ip-location-db/asn-country 2.3.2026061719', '@ip-location-db/asn 2.3.2026061719']);
    for (const f of [4, 6] as const) expect(t.segmentCount(f)).toBe(parsed.segmentCount(f));
    expect(Buffer.from(t.bytes()).equals(Buffer.from(parsed.bytes()))).toBe(true);
    const next = mulberry32(7);
    const word = () => Math.floor(next() * 2 ** 32);
    for (let i = 0; i < 4000; i++) {
      const a = word();
      const text = `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
      expect(t.originOf(text), text).toEqual(parsed.originOf(text));
      expect(t.originOf4(a)).toBe(parsed.originOf4(a));
    }
    // IPv6: half anywhere in 2000::/3, half inside a random segment (most of 2000::/3 has no data).
    const s = parsed.toShared();
    for (let i = 0; i < 2000; i++) {
      const j = Math.floor(next() * s.n6);
      const words = i % 2 ? [0x20000000 + (word() & 0x1fffffff), word(), word(), word()] : [s.starts6[j * 4]!, s.starts6[j * 4 + 1]!, word(), word()];
      const text = words.map((w) => `${(w >>> 16).toString(16)}:${(w & 0xffff).toString(16)}`).join(':');
      expect(t.originOf(text), text).toEqual(parsed.originOf(text));
    }
    expect(t.asNameCount).toBe(parsed.asNameCount);
    for (const asn of new Set(s.asn)) expect(t.asNameOf(asn), `AS${asn}`).toBe(parsed.asNameOf(asn));
    expect(t.asNameOf(15169)).toBe('Google LLC');
    expect(t.asNameOf(4_294_967_295)).toBeNull();
  });

  it('are what loadOriginTable uses for the default data, and only for it', () => {
    expect(loadOriginTable(DEFAULT, tiny).originOf('192.0.2.7')).toEqual({ country: 'XX', asn: 64500, asName: 'Tiny "Test" Net', registry: null });
    const dir = join(tmp.path, 'node');
    mkdirSync(join(dir, 'asn'), { recursive: true });
    writeFileSync(join(dir, 'asn', 'my-asn-ipv4.csv'), '8.8.8.0,8.8.8.255,64600,Test Network\n');
    const own = loadOriginTable({ origins: { delegated: [], asn: ['asn'] }, paths: { dir } }, tiny);
    expect(own.originOf('8.8.8.8')).toMatchObject({ country: 'US', asn: 64600 });
  });

  it('are found where the build writes them, from the sources and compiled alike', async () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    expect(ORIGIN_CACHE_FILE).toBe(join(root, '.build', 'origins-default.bin'));
    const compiled = join(root, '.build', 'config', 'origin-cache-reader.js');
    if (existsSync(compiled)) expect((await import(pathToFileURL(compiled).href)).ORIGIN_CACHE_FILE).toBe(ORIGIN_CACHE_FILE);
  });

  it('are built once: a current file is left as it is', () => {
    expect(prebuildDefaultOrigins(full)).toEqual({ written: false, bytes: 0 });
    const fresh = join(tmp.path, 'fresh.bin');
    expect(prebuildDefaultOrigins(fresh)).toMatchObject({ written: true, bytes: readFileSync(full).length });
    expect(readFileSync(fresh).equals(readFileSync(full))).toBe(true);
    expect(prebuildDefaultOrigins(fresh).written).toBe(false);
  }, 120_000);

  it('are passed over when built from other package files, and the CSVs parsed instead', () => {
    type Editable = { package: string; version: string; files: { name: string; size: number; mtimeMs: number }[] }[];
    const changed = (change: (s: Editable) => void) => {
      const copy = structuredClone(sources) as Editable;
      change(copy);
      return copy;
    };
    const stale: [string, OriginCacheSource[]][] = [
      ['a file of another size', changed((s) => (s[0]!.files[0]!.size += 1))],
      ['a file modified since', changed((s) => (s[1]!.files[1]!.mtimeMs += 1))],
      ['another version', changed((s) => (s[1]!.version = '2.3.2026061720'))],
      ['another file', changed((s) => (s[0]!.files[1]!.name = 'asn-country-ipv6-num.csv'))],
      ['a package fewer', changed((s) => s.pop())],
    ];
    for (const [what, built] of stale) {
      const path = join(tmp.path, 'stale.bin');
      writeOriginCache(path, tinyTable(), built);
      expect(readOriginCache(path, sources), what).toEqual({ ok: false, reason: 'stale: built from other package files' });
      if (what === 'a file modified since') expectParsed(loadOriginTable(DEFAULT, path));
    }
  }, 120_000);

  it('are passed over when damaged, and the CSVs parsed instead', () => {
    const bytes = readFileSync(full);
    const headerLength = bytes.readUInt32LE(12);
    const headerText = bytes.subarray(16, 16 + headerLength).toString();
    const header = decodeOriginCacheHeader(bytes.subarray(16, 16 + headerLength));
    if (!header.ok) throw new Error(header.reason);
    const h = header.value;
    const layout = originCacheLayout(headerLength, h);
    const n = h.n4 + h.n6;
    const at = { buckets: layout.tableAt + h.n4 * 8, registry: layout.tableAt + (h.n4 * 2 + 65537 + h.n6 * 8 + n) * 4 + n * 2 };
    const edited = (edit: (b: Buffer) => void) => {
      const b = Buffer.from(bytes);
      edit(b);
      return b;
    };
    const sha = 16 + headerText.indexOf(h.datasets[1]!.sha256);
    const damaged: [string, Buffer, RegExp][] = [
      ['empty', Buffer.alloc(0), /not an origin table file/],
      ['cut in the preamble', bytes.subarray(0, 10), /not an origin table file/],
      ['cut in the header', bytes.subarray(0, 100), /unreadable: ends \d+ bytes early/],
      ['cut in the table', bytes.subarray(0, layout.tableAt + 1000), /bytes where the header accounts for/],
      ['a byte short', bytes.subarray(0, bytes.length - 1), /bytes where the header accounts for/],
      ['a byte more', Buffer.concat([bytes, Buffer.from([0])]), /bytes where the header accounts for/],
      ['another magic', edited((b) => b.write('SPAMXOR?', 0)), /not an origin table file/],
      ['another format version', edited((b) => b.writeUInt32LE(2, 8)), /format 2, not 1/],
      ['a header length past the file', edited((b) => b.writeUInt32LE(1 << 30, 12)), /a header of \d+ bytes/],
      ['a header that is not JSON', edited((b) => b.write('x', 16)), /not JSON/],
      ['a header of the wrong shape', edited((b) => b.write(headerText.replace('"n4":', '"n5":'), 16)), /wrong shape/],
      ['a data set hash changed', edited((b) => b.write(b[sha] === 0x30 ? '1' : '0', sha)), /damaged tables/],
      ['an index entry changed', edited((b) => b.writeUInt32LE(h.n4 + 5, at.buckets + 4 * 30_000)), /damaged tables/],
      ['a registry value set', edited((b) => (b[at.registry + 12_345] = 1)), /damaged tables/],
      ['AS numbers out of order', edited((b) => b.writeUInt32LE(0, layout.namesAt + 4 * 5)), /damaged AS names/],
    ];
    const path = join(tmp.path, 'damaged.bin');
    expect(readOriginCache(join(tmp.path, 'absent.bin'), sources)).toEqual({ ok: false, reason: 'absent' });
    for (const [what, b, reason] of damaged) {
      writeFileSync(path, b);
      const read = readOriginCache(path, sources);
      expect(read.ok, what).toBe(false);
      if (!read.ok) expect(read.reason, what).toMatch(reason);
      if (what === 'cut in the table' || what === 'an index entry changed') expectParsed(loadOriginTable(DEFAULT, path));
    }
  }, 120_000);
});
