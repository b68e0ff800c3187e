import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOrigins, originSignature, OriginData } from '../../src/config/origin-files.js';
import { parseDelegatedExtended } from '../../src/core/delegated-extended.js';
import { isSpamxError } from '../../src/core/errors.js';
import { familyRanges } from '../../src/core/origin-ranges.js';
import { OriginTable } from '../../src/core/origin-table.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * RIR delegated-extended statistics files (src/core/delegated-extended.ts) read through the
 * loader (src/config/origin-files.ts): country and registry from the files, ASN still from the
 * asn package. Addresses are public unicast space (APNIC's 61.4.0.0/16 region and 2001:200::/23).
 */
const APNIC = [
  '# a comment before the version line',
  '2|apnic|20261205|7|19830613|20261204|+1000',
  'apnic|*|asn|*|1|summary',
  'apnic|*|ipv4|*|5|summary',
  'apnic|*|ipv6|*|1|summary',
  '# and one between',
  'apnic|JP|asn|2500|1|19910101|allocated|A91A7381',
  // 1,536 addresses: 61.4.0.0-61.4.5.255, not a power of two.
  'apnic|CN|ipv4|61.4.0.0|1536|20000101|allocated|A92E1062',
  // 768 addresses: 61.4.8.0-61.4.10.255.
  'apnic|HK|ipv4|61.4.8.0|768|20000102|assigned|A92D9378',
  'apnic|ZZ|ipv4|61.4.16.0|256||reserved|',
  'apnic||ipv4|61.4.32.0|512||available|',
  'apnic|ZZ|ipv4|61.4.48.0|256|20000103|allocated|A9XXXXXX',
  'apnic|JP|ipv6|2001:200::|35|19990813|allocated|A91A7381',
  '',
].join('\n');

const RIPE = ['2.3|ripencc|20261204|1|19830705|20261203|+0100', 'ripencc|*|ipv4|*|1|summary', 'ripencc|DE|ipv4|62.4.0.0|1024|19990101|allocated|ORG-X'].join('\n');

const tmp = tempDir('spamx-delegated-');
afterAll(() => tmp.cleanup());

function nodeWith(files: Record<string, string>): string {
  const dir = join(tmp.path, `node-${Math.random().toString(36).slice(2)}`);
  mkdirSync(join(dir, 'origins', 'delegated'), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, 'origins', 'delegated', name), text);
  return dir;
}

const config = (dir: string) => ({ origins: { delegated: ['origins/delegated'], asn: [] }, paths: { dir } });

describe('delegated-extended files', () => {
  const dir = nodeWith({ 'delegated-apnic-extended-latest': APNIC, 'delegated-ripencc-extended-latest': RIPE, 'delegated-apnic-extended-latest.md5': 'not data' });
  const { table, files } = loadOrigins(config(dir));

  it('reads the version line, counts and dates; checksums beside the files are skipped', () => {
    expect(files.map((f) => [f.kind, f.dataset, f.rows])).toEqual([
      ['delegated', 'delegated-apnic-extended-latest', 6],
      ['delegated', 'delegated-ripencc-extended-latest', 1],
      ['asn', '@ip-location-db/asn 2.3.2026061719', expect.any(Number)],
      ['asn', '@ip-location-db/asn 2.3.2026061719', expect.any(Number)],
    ]);
    expect(files[0]!.delegated).toMatchObject({ registry: 'apnic', serial: '20261205', date: '2026-12-05', ipv4: 5, ipv6: 1, asn: 1 });
    expect(table.datasets[0]).toEqual({ name: 'delegated-apnic-extended-latest', date: '2026-12-05', sha256: createHash('sha256').update(APNIC).digest('hex') });
    expect(table.datasets[1]).toMatchObject({ name: 'delegated-ripencc-extended-latest', date: '2026-12-04' });
    expect(table.datasets[2]!.name).toBe('@ip-location-db/asn 2.3.2026061719');
  });

  it('answers country and registry from the rows: a count that is no power of two, ZZ, reserved and available rows', () => {
    const at = (a: string) => {
      const o = table.originOf(a);
      return [o.country, o.registry];
    };
    expect(at('61.4.0.0')).toEqual(['CN', 'apnic']);
    expect(at('61.4.5.255')).toEqual(['CN', 'apnic']);
    expect(at('61.4.6.0')).toEqual([null, null]);
    expect(at('61.4.8.0')).toEqual(['HK', 'apnic']);
    expect(at('61.4.10.255')).toEqual(['HK', 'apnic']);
    expect(at('61.4.11.0')).toEqual([null, null]);
    expect(at('61.4.16.9')).toEqual([null, 'apnic']);
    expect(at('61.4.33.9')).toEqual([null, 'apnic']);
    expect(at('61.4.48.9')).toEqual([null, 'apnic']);
    expect(at('62.4.3.255')).toEqual(['DE', 'ripencc']);
    expect(at('2001:200::1')).toEqual(['JP', 'apnic']);
    expect(at('2001:200:1fff:ffff:ffff:ffff:ffff:ffff')).toEqual(['JP', 'apnic']);
    expect(at('2001:200:2000::')).toEqual([null, null]);
    // The ASN still comes from the package.
    expect(table.originOf('2001:200::1').asn).toBe(2500);
  });

  it('cuts a prefix at the registry boundary, even where that boundary is not CIDR-aligned', () => {
    // 61.4.0.0/21: CN for 1,536 addresses, then none; pieces are cut at ASN changes too.
    const split = table.split(4, 0x3d040000, 0x3d0407ff);
    expect(split.some((p) => p.prefix === '61.4.6.0/23' || p.prefix === '61.4.6.0/24')).toBe(true);
    expect(split.filter((p) => (p.start as number) < 0x3d040600).every((p) => p.country === 'CN')).toBe(true);
    const byCountry = split.reduce<Record<string, number>>((acc, p) => {
      acc[p.country ?? '-'] = (acc[p.country ?? '-'] ?? 0) + (p.end as number) - (p.start as number) + 1;
      return acc;
    }, {});
    expect(byCountry.CN).toBe(1536);
    expect(byCountry['-']).toBe(512);
    const scope = table.compileScope({ countries: ['HK'], asns: [], within: [] });
    expect(table.scopeCidrs(scope).filter((c) => c.startsWith('61.4.'))).toEqual(['61.4.8.0/23', '61.4.10.0/24']);
  });

  it('builds from parsed files alone too (no I/O), and keeps the same data when shared', () => {
    const { into } = parseDelegatedExtended(APNIC, 'apnic');
    const t = OriginTable.build({ country: into.country, asn: familyRanges(), registry: into.registry, registries: into.registries, datasets: [] });
    expect(OriginTable.fromShared(structuredClone(t.toShared())).originOf('61.4.9.1')).toMatchObject({ country: 'HK', registry: 'apnic' });
  });
});

describe('malformed delegated files', () => {
  const cases: [string, string, number, RegExp][] = [
    ['a count that is not a number', APNIC.replace('|1536|', '|15x6|'), 8, /"15x6" is not an address count/],
    ['a count running past the last address', APNIC.replace('61.4.0.0|1536', '255.255.255.0|1536'), 8, /run past 255\.255\.255\.255/],
    ['a bad IPv4 address', APNIC.replace('61.4.8.0', '61.4.8'), 9, /"61\.4\.8" is not an IPv4 address/],
    ['a bad status', APNIC.replace('|assigned|', '|given|'), 9, /"given" is not a status/],
    ['a bad type', APNIC.replace('|ipv6|2001', '|ipv7|2001'), 13, /"ipv7" is not a record type/],
    ['host bits below an IPv6 length', APNIC.replace('2001:200::|35', '2001:200::1|35'), 13, /host bits set/],
    ['a bad country code', APNIC.replace('apnic|HK|', 'apnic|hkg|'), 9, /"hkg" is not a country code/],
    ['too few fields', APNIC.replace('apnic|HK|ipv4|61.4.8.0|768|20000102|assigned|A92D9378', 'apnic|HK|ipv4|61.4.8.0'), 9, /at least 7/],
    ['no version line', APNIC.split('\n').slice(2).join('\n'), 1, /version line/],
    ['a truncated file (the summary counts more)', APNIC.split('\n').slice(0, 10).join('\n'), 4, /summary counts 5 ipv4 records, the file has 3/],
  ];

  it.each(cases)('refuses %s, naming the file, the line and why', (_, text, line, reason) => {
    let error: unknown;
    try {
      parseDelegatedExtended(text, 'delegated-apnic-extended-latest');
    } catch (err) {
      error = err;
    }
    expect(isSpamxError(error, 'ORIGINS_INVALID')).toBe(true);
    const e = error as Error & { details: { file: string; line: number } };
    expect(e.details).toEqual({ file: 'delegated-apnic-extended-latest', line });
    expect(e.message).toMatch(new RegExp(`^delegated-apnic-extended-latest:${line}: `));
    expect(e.message).toMatch(reason);
  });

  it('quotes at most a clipped piece of a long line', () => {
    const long = APNIC.replace('|assigned|', `|${'x'.repeat(100_000)}|`);
    expect(() => parseDelegatedExtended(long, 'f')).toThrow(/^f:9: "x{60}… \[truncated, 100000 bytes\]" is not a status/);
    try {
      parseDelegatedExtended(long, 'f');
    } catch (err) {
      expect((err as Error).message.length).toBeLessThan(200);
    }
  });

  it('a malformed set keeps the tables in use; the signature moves when a file does', () => {
    const dir = nodeWith({ 'delegated-apnic-extended-latest': APNIC });
    const origins = new OriginData(config(dir));
    const before = origins.current();
    const signature = origins.signature();
    expect(originSignature(config(dir))).toBe(signature);
    expect(origins.reloadIfChanged()).toEqual({ changed: false });
    writeFileSync(join(dir, 'origins', 'delegated', 'delegated-apnic-extended-latest'), APNIC.replace('|768|', '|seven|'));
    expect(origins.signature()).not.toBe(signature);
    const failed = origins.reloadIfChanged();
    expect(failed.changed).toBe(false);
    expect(failed.error).toMatch(/ORIGINS_INVALID: .*delegated-apnic-extended-latest:9: "seven" is not an address count/);
    expect(origins.current()).toBe(before);
    writeFileSync(join(dir, 'origins', 'delegated', 'delegated-apnic-extended-latest'), APNIC.replace('|HK|', '|MO|'));
    expect(origins.reload()).toEqual({ changed: true });
    expect(origins.current().originOf('61.4.8.1').country).toBe('MO');
    expect(origins.current().digest).not.toBe(before.digest);
  });
});

describe('delegated parser under random input', () => {
  it('accepts or refuses with ORIGINS_INVALID only, whatever the lines', async () => {
    const fc = (await import('fast-check')).default;
    const field = fc.constantFrom('', '*', 'apnic', 'ZZ', 'JP', 'ipv4', 'ipv6', 'asn', '61.4.0.0', '2001:200::', '::', '1536', '35', '129', '4294967296', 'summary', 'allocated', 'available', '20261205', '#', 'x\u00e9');
    const line = fc.array(field, { minLength: 1, maxLength: 9 }).map((f) => f.join('|'));
    const valid = fc.constantFrom(...APNIC.split('\n'));
    fc.assert(
      fc.property(fc.array(fc.oneof(line, valid), { maxLength: 10 }), (lines) => {
        try {
          parseDelegatedExtended(lines.join('\n'), 'fuzz');
        } catch (err) {
          if (!isSpamxError(err, 'ORIGINS_INVALID')) throw err;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
