import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOrigins } from '../../src/config/origin-files.js';
import { AsNames } from '../../src/core/as-names.js';
import { isSpamxError } from '../../src/core/errors.js';
import { OriginCsvParser, type OriginCsvKind } from '../../src/core/origin-csv.js';
import { familyRanges } from '../../src/core/origin-ranges.js';
import { OriginTable } from '../../src/core/origin-table.js';
import type { Family } from '../../src/core/prefix.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * The ip-location-db CSV shapes (src/core/origin-csv.ts and its plain-row loops,
 * src/core/origin-csv-plain.ts): every form of address, quoted AS names, rows that give no
 * range, chunked input, and malformed rows refused with file, line and reason.
 */
function parse(kind: OriginCsvKind, text: string, numFamily: Family = 4, chunks: number[] = []) {
  const bytes = new TextEncoder().encode(text);
  const into = familyRanges();
  const names = new AsNames();
  const parser = new OriginCsvParser(kind, 'test.csv', into, { asNames: names, numFamily });
  // Fed in pieces that end at line ends, as the file reader does.
  let from = 0;
  for (const line of chunks) {
    let to = from;
    for (let n = 0; n < line && to < bytes.length; to++) if (bytes[to] === 0x0a) n++;
    parser.feed(bytes, from, to);
    from = to;
  }
  parser.feed(bytes, from, bytes.length);
  const table = OriginTable.build({ country: kind === 'country' ? into : familyRanges(), asn: kind === 'asn' ? into : familyRanges(), asNames: names, datasets: [] });
  return { table, rows: parser.rows, lines: parser.line };
}

const ASN = [
  '16777216,16777471,13335,"Cloudflare, Inc."',
  '1.0.4.0,1.0.7.255,38803,Gtelecom Pty Ltd',
  '16781312,16781567,2519,"The ""quoted"" Network"',
  '',
  '16781568,16781823,0,Not routed',
  '16782080,16782335,4134,CHINANET-BACKBONE\r',
  '2001:200::,2001:200:ffff:ffff:ffff:ffff:ffff:ffff,2500,WIDE Project',
  '2404:6800::,2404:6800:ffff:ffff:ffff:ffff:ffff:ffff,15169,',
  '',
].join('\n');

describe('origin CSV rows', () => {
  it('reads decimal and dotted IPv4, IPv6 text, quoted names, CRLF; AS0 and empty names give nothing', () => {
    for (const chunks of [[], [1], [2, 3], [1, 1, 1, 1, 1, 1]]) {
      const { table, rows, lines } = parse('asn', ASN, 4, chunks);
      expect(lines).toBe(8);
      expect(rows).toBe(6);
      expect(table.originOf('1.0.0.1')).toMatchObject({ asn: 13335, asName: 'Cloudflare, Inc.' });
      expect(table.originOf('1.0.7.255')).toMatchObject({ asn: 38803, asName: 'Gtelecom Pty Ltd' });
      expect(table.originOf('1.0.16.1')).toMatchObject({ asn: 2519, asName: 'The "quoted" Network' });
      expect(table.originOf('1.0.17.1')).toMatchObject({ asn: null });
      expect(table.originOf('1.0.19.1')).toMatchObject({ asn: 4134, asName: 'CHINANET-BACKBONE' });
      expect(table.originOf('2001:200:1234::1')).toMatchObject({ asn: 2500, asName: 'WIDE Project' });
      expect(table.originOf('2404:6800::1')).toMatchObject({ asn: 15169, asName: null });
    }
  });

  it('reads the -ipv6-num form when told the file is IPv6, and country rows (ZZ gives none)', () => {
    const num = parse('country', '42540528726795050063891204319802818560,42540528806023212578155541913346768895,JP\n', 6);
    expect(num.table.originOf('2001:200:ffff::1').country).toBe('JP');
    const countries = parse('country', '16777216,16777471,AU\n16777472,16778239,ZZ\n1.0.8.0,1.0.15.255,CN\n2001:200::,2001:200:ffff:ffff:ffff:ffff:ffff:ffff,JP');
    expect(countries.rows).toBe(3);
    expect(['1.0.0.9', '1.0.1.9', '1.0.9.9', '2001:200::9'].map((a) => countries.table.originOf(a).country)).toEqual(['AU', null, 'CN', 'JP']);
  });

  const bad: [string, OriginCsvKind, string, number, RegExp][] = [
    ['a country code in lower case', 'country', '16777216,16777471,AU\n16777472,16778239,cn\n', 2, /"cn" is not a country code/],
    ['a missing field', 'country', '16777216,16777471\n', 1, /expected 3 comma-separated fields/],
    ['an address number past 2^32', 'asn', '16777216,4294967296,13335,X\n', 1, /"4294967296" is not an IPv4 address number/],
    ['a bad dotted quad', 'asn', '1.0.0.0,1.0.0.256,13335,X\n', 1, /"1\.0\.0\.256" is not an IPv4 address/],
    ['a bad IPv6 address', 'asn', '2001:200::,2001:200:::1,2500,W\n', 1, /"2001:200:::1" is not an IPv6 address/],
    ['a range ending before it starts', 'asn', '16777471,16777216,13335,X\n', 1, /ends before it starts/],
    ['an AS number that is not one', 'asn', '16777216,16777471,AS13335,X\n', 1, /"AS13335" is not an AS number/],
    ['an unquoted name with a comma', 'asn', '16777216,16777471,13335,Cloudflare, Inc.\n', 1, /more than 4 fields/],
    ['a quote inside an unquoted name', 'asn', '16777216,16777471,13335,Cloud"flare\n', 1, /a quote inside an unquoted AS name/],
    ['a quoted name left open', 'asn', '16777216,16777471,13335,"Cloudflare\n16777472,16777727,1,X\n', 1, /does not end on its line/],
    ['a field after the country', 'country', '16777216,16777471,AU,extra\n', 1, /more than 3 fields/],
    ['a bad address in a ZZ row', 'country', '16777216,1677x471,ZZ\n', 1, /"1677x471" is not an IPv4 address number/],
  ];

  it.each(bad)('refuses %s, naming the file and line', (_, kind, text, line, reason) => {
    let error: unknown;
    try {
      parse(kind, text);
    } catch (err) {
      error = err;
    }
    expect(isSpamxError(error, 'ORIGINS_INVALID')).toBe(true);
    expect((error as { details: unknown }).details).toEqual({ file: 'test.csv', line });
    expect((error as Error).message).toMatch(new RegExp(`^test\\.csv:${line}: `));
    expect((error as Error).message).toMatch(reason);
  });

  it('quotes at most a clipped piece of a long field', () => {
    expect(() => parse('asn', `16777216,16777471,${'9'.repeat(50_000)},X\n`)).toThrow(/^test\.csv:1: "9{60}… \[truncated, 50000 bytes\]" is not an AS number$/);
  });
});

describe('operator ASN files', () => {
  const tmp = tempDir('spamx-asn-');
  afterAll(() => tmp.cleanup());

  it('replace the asn package when configured; their data set is the file', () => {
    mkdirSync(join(tmp.path, 'asn'));
    writeFileSync(join(tmp.path, 'asn', 'my-asn-ipv4.csv'), '8.8.8.0,8.8.8.255,64600,Test Network\n');
    writeFileSync(join(tmp.path, 'asn', 'my-asn-ipv6-num.csv'), '42540528726795050063891204319802818560,42540528806023212578155541913346768895,64601,Other\n');
    const { table, files } = loadOrigins({ origins: { delegated: [], asn: ['asn'] }, paths: { dir: tmp.path } });
    expect(files.map((f) => [f.kind, f.dataset, f.rows])).toEqual([
      ['country', '@ip-location-db/asn-country 2.3.2026061719', expect.any(Number)],
      ['country', '@ip-location-db/asn-country 2.3.2026061719', expect.any(Number)],
      ['asn', 'my-asn-ipv4.csv', 1],
      ['asn', 'my-asn-ipv6-num.csv', 1],
    ]);
    expect(table.originOf('8.8.8.8')).toMatchObject({ country: 'US', asn: 64600, asName: 'Test Network' });
    expect(table.originOf('2001:200::1')).toMatchObject({ country: 'JP', asn: 64601 });
    expect(table.originOf('1.1.1.1').asn).toBeNull();
    expect(table.datasets.map((d) => d.name)).toEqual(['@ip-location-db/asn-country 2.3.2026061719', 'my-asn-ipv4.csv', 'my-asn-ipv6-num.csv']);
    expect(() => loadOrigins({ origins: { delegated: [], asn: ['missing'] }, paths: { dir: tmp.path } })).toThrow(/missing does not exist/);
  });
});

describe('origin CSV parser under random input', () => {
  it('accepts or refuses with ORIGINS_INVALID only, whatever the bytes, fed whole or by lines', async () => {
    const fc = (await import('fast-check')).default;
    const unit = fc.constantFrom('0', '1', '9', ',', '.', ':', '"', '\n', '\r', 'A', 'Z', 'f', ' ', '\u00e9', '4294967295', '2001:200::', '1.0.0.0');
    const row = fc.array(unit, { maxLength: 30 }).map((parts) => parts.join(''));
    const valid = fc.constantFrom(...ASN.split('\n'));
    const text = fc.array(fc.oneof(row, valid), { maxLength: 8 }).map((rows) => rows.join('\n'));
    fc.assert(
      fc.property(text, fc.constantFrom<OriginCsvKind>('country', 'asn'), fc.constantFrom<Family>(4, 6), fc.array(fc.nat(3), { maxLength: 4 }), (t, kind, family, chunks) => {
        try {
          parse(kind, t, family, chunks);
        } catch (err) {
          if (!isSpamxError(err, 'ORIGINS_INVALID')) throw err;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
