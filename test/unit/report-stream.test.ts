import { KeyObject } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildBatchPayload } from '../../src/core/batch.js';
import { batchPayloadLength, batchPayloadPieces } from '../../src/core/batch-payload-bytes.js';
import type { Entry } from '../../src/core/entry.js';
import { LineSplitter, MAX_LINE_CHARS } from '../../src/core/report-lines.js';
import { evaluateReportRows, parseReport, type ParsedReport } from '../../src/core/report.js';
import { reportRowGroups } from '../../src/ingest/report-stream.js';
import { signBatch, signBatchLeaf } from '../../src/ingest/sign-batch.js';
import { policy, prefix, T0 } from './fixtures.js';
import { makeKey } from './signing.js';

const pol = policy({ allow: ['202.12.27.0/24'] });

/** Every way of cutting `text` into pieces at the given sizes, as bytes. */
function chunksOf(text: string, size: number): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

async function streamed(chunks: readonly (Buffer | string)[]): Promise<ParsedReport> {
  const accepted: ParsedReport['accepted'] = [];
  const refused: ParsedReport['refused'] = [];
  for await (const group of reportRowGroups(Readable.from(chunks))) {
    const parsed = evaluateReportRows(group.rows, T0, pol);
    accepted.push(...parsed.accepted);
    refused.push(...parsed.refused);
  }
  return { accepted, refused };
}

const summary = (r: ParsedReport) => ({
  accepted: r.accepted.map((a) => [a.prefix.text, a.reports, a.firstSeen]),
  refused: r.refused.map((x) => [x.line, x.code]),
});

describe('LineSplitter', () => {
  it('cuts lines as split(/\\r?\\n/) does, whatever the chunks', () => {
    const text = 'a\r\nbb\n\nccc\r\n\rd\re\n';
    for (let size = 1; size <= text.length; size++) {
      const splitter = new LineSplitter();
      const lines = [];
      for (let i = 0; i < text.length; i += size) lines.push(...splitter.push(text.slice(i, i + size)));
      lines.push(...splitter.end());
      expect(lines.map((l) => l.text)).toEqual(['a', 'bb', '', 'ccc', '\rd\re']);
      expect(lines.map((l) => l.line)).toEqual([1, 2, 3, 4, 5]);
    }
  });

  it('keeps the last line without a line break, and a CR at the very end', () => {
    const splitter = new LineSplitter();
    expect(splitter.push('x\ny\r').map((l) => l.text)).toEqual(['x']);
    expect(splitter.end().map((l) => l.text)).toEqual(['y\r']);
  });

  it('drops a byte order mark at the start only', () => {
    const splitter = new LineSplitter();
    const lines = [...splitter.push('\ufeff61.4.12.7\n\ufeffx\n'), ...splitter.end()];
    expect(lines.map((l) => l.text)).toEqual(['61.4.12.7', '\ufeffx']);
  });

  it('keeps only the start of an overlong line, and says so', () => {
    const splitter = new LineSplitter();
    const long = 'x'.repeat(MAX_LINE_CHARS + 10);
    const lines = [...splitter.push(long.slice(0, 1000)), ...splitter.push(`${long.slice(1000)}\nshort\n`)];
    expect(lines.map((l) => [l.text.length, l.overlong])).toEqual([
      [MAX_LINE_CHARS, true],
      [5, false],
    ]);
  });
});

describe('reportRowGroups: a plain report streamed', () => {
  const text = ['# from the honeypot', '61.4.12.7', '192.0.2.1', '', '116.31.64.0/24  # a /24', '01.2.3.4', '2400:cb00::/32', '202.12.27.33'].join('\r\n');
  const whole = summary(parseReport(text, T0, pol));

  it('gives parseReport\'s verdicts, with the same line numbers, for every chunk size', async () => {
    expect(whole.refused).toEqual([
      [3, 'PREFIX_SPECIAL_PURPOSE'],
      [6, 'PREFIX_INVALID'],
      [8, 'PREFIX_ALLOWLISTED'],
    ]);
    for (const size of [1, 2, 3, 7, 16, 1000]) expect(summary(await streamed(chunksOf(text, size)))).toEqual(whole);
  });

  it('reads a line split in a multi-byte character across chunks, and a BOM', async () => {
    const withBom = `\ufeff61.4.12.7\n# café ünïcode\n116.31.64.0/24\n`;
    for (const size of [1, 2, 5]) {
      expect(summary(await streamed(chunksOf(withBom, size))).accepted.map((a) => a[0])).toEqual(['61.4.12.7/32', '116.31.64.0/24']);
    }
  });

  it('refuses an overlong line by its number and reads on', async () => {
    const text2 = `61.4.12.7\n61.4.12.8${' '.repeat(MAX_LINE_CHARS)}x\n116.31.64.0/24\n#${'#'.repeat(MAX_LINE_CHARS)}\n61.4.12.9\n`;
    const r = await streamed(chunksOf(text2, 4096));
    expect(r.accepted.map((a) => a.prefix.text)).toEqual(['61.4.12.7/32', '116.31.64.0/24', '61.4.12.9/32']);
    expect(r.refused.map((x) => [x.line, x.code])).toEqual([[2, 'ENTRY_MALFORMED']]);
    expect(r.refused[0]!.reason).toContain('longer than');
  });

  it('hands rows on in groups, each knowing how far into the input it reaches', async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `61.${(i >> 8) & 255}.${i & 255}.1`);
    const input = `${lines.join('\n')}\n`;
    const groups = [];
    for await (const g of reportRowGroups(Readable.from(chunksOf(input, 65_536)))) groups.push({ rows: g.rows.length, bytes: g.bytes });
    expect(groups.reduce((n, g) => n + g.rows, 0)).toBe(20_000);
    expect(groups.length).toBeGreaterThan(1);
    expect(groups.at(-1)!.bytes).toBe(Buffer.byteLength(input));
  });
});

describe('reportRowGroups: a CSV report streamed', () => {
  const text = [
    '# exported', // 1
    'prefix,first_seen,last_seen,reports', // 2
    '61.4.12.7,2026-11-22T09:00:00Z,2026-11-22T10:00:00Z,3', // 3
    '198.51.100.7,,,1', // 4
    '61.4.12.8,yesterday,,1', // 5
    '', // 6
    '116.31.64.0/24,,,9', // 7
  ].join('\r\n');

  it('gives parseReport\'s verdicts and line numbers for every chunk size, CRLF or not', async () => {
    const whole = summary(parseReport(text, T0, pol));
    expect(whole.refused).toEqual([
      [4, 'PREFIX_SPECIAL_PURPOSE'],
      [5, 'ENTRY_MALFORMED'],
    ]);
    for (const size of [1, 3, 11, 4096]) {
      expect(summary(await streamed(chunksOf(text, size)))).toEqual(whole);
      expect(summary(await streamed(chunksOf(text.replaceAll('\r\n', '\n'), size)))).toEqual(whole);
    }
  });

  it('refuses a ragged row or a bad quote by its line number and reads the rows after it', async () => {
    const broken = ['prefix,reports', '61.4.12.7,3', '61.4.12.8,3,extra', '"61.4.12.9"x,2', '116.31.64.0/24,9', ''].join('\n');
    const r = await streamed(chunksOf(broken, 5));
    expect(r.accepted.map((a) => [a.prefix.text, a.reports])).toEqual([
      ['61.4.12.7/32', 3],
      ['116.31.64.0/24', 9],
    ]);
    expect(r.refused.map((x) => [x.line, x.code])).toEqual([
      [3, 'ENTRY_MALFORMED'],
      [4, 'ENTRY_MALFORMED'],
    ]);
    expect(r.refused[0]!.reason).toMatch(/CSV row is not readable/);
  });

  it('takes a BOM before the header', async () => {
    const r = await streamed(chunksOf('\ufeffprefix,reports\n61.4.12.7,4\n', 2));
    expect(r.accepted.map((a) => [a.prefix.text, a.reports])).toEqual([['61.4.12.7/32', 4]]);
  });
});

describe('a batch written a piece at a time', () => {
  const entries: Entry[] = [
    { op: 'list', prefix: prefix('61.4.12.7'), firstSeen: T0, lastSeen: T0 + 1, reports: 3, expires: T0 + 99, category: 'spam-origin' },
    { op: 'delist', prefix: prefix('116.31.64.0/24'), reason: 'false positive, «écrit»' },
    { op: 'delist', prefix: prefix('2400:cb00::/32'), reason: null },
    ...Array.from({ length: 3000 }, (_, i): Entry => ({ op: 'list', prefix: prefix(`36.1.${i >> 8}.${i & 255}`), firstSeen: T0, lastSeen: T0, reports: 1, expires: T0 + 5, category: 'botnet' })),
  ];
  const head = { publisher: 'cn-isc', seq: 7, prev: 'x'.repeat(43), issuedAt: T0 };

  it('is JSON.stringify of the payload, byte for byte, and its length is counted right', () => {
    const expected = JSON.stringify(buildBatchPayload({ ...head, entries }));
    const pieces = [...batchPayloadPieces(head, entries)];
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join('')).toBe(expected);
    expect(batchPayloadLength(head, entries)).toEqual({ bytes: Buffer.byteLength(expected), entries: entries.length });
  });

  it('signs to jose\'s compact JWS exactly, as 0x00 ‖ its bytes', async () => {
    const key = await makeKey();
    const identity = { kid: key.kid, privateKey: key.privateKey, signingKey: KeyObject.from(key.privateKey) };
    const { bytes } = batchPayloadLength(head, entries);
    const leaf = signBatchLeaf(batchPayloadPieces(head, entries), bytes, identity);
    expect(leaf[0]).toBe(0);
    expect(leaf.subarray(1).toString('latin1')).toBe(await signBatch(buildBatchPayload({ ...head, entries }), identity));
  });
});
