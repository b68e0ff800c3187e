import { describe, expect, it } from 'vitest';
import type { MonthlyData } from '../../src/read/monthly-data.js';
import { monthlyReportHtml } from '../../src/serve/monthly/monthly-report.js';

/** A month whose names try to break out of the page: every one must come out as text. */
const hostile = '</script><script>alert(1)</script><img src=https://tracker.example/x>';
const data: MonthlyData = {
  centre: { id: 'jp-dekyo', name: `Dekyo ${hostile}`, country: 'JP', publicUrl: 'https://spamx.dekyo.example.jp' },
  month: '2026-11',
  period: { from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z', complete: true },
  generatedAt: '2026-12-02T08:00:00Z',
  origins: { id: 'c9e29a667d9dacbf', sets: [{ name: 'delegated-apnic-extended-latest', date: '2026-11-30', sha256: 'ab' }], attribution: null },
  totals: { started: 3, ended: 1, refused: 2, listedAtStart: 10, listedAtEnd: 12 },
  sources: [{ source: 'cn-isc', started: 3, ended: 1 }],
  listSize: [
    { at: '2026-11-01T00:00:00Z', listed: 10 },
    { at: '2026-12-01T00:00:00Z', listed: 12 },
  ],
  listSizeDaily: [{ at: '2026-12-01T00:00:00Z', listed: 12 }],
  origin: {
    asOf: '2026-12-02T08:00:00Z',
    pieces: 3,
    countries: [{ country: 'CN', pieces: 3, addresses: 3 }],
    ownCountry: { country: 'JP', pieces: 0, share: 0 },
    networks: [{ asn: 4134, name: hostile, pieces: 3, addresses: 2 ** 64 }],
  },
  refusals: [{ code: 'PREFIX_TOO_SHORT', count: 2, publishers: [{ publisher: 'hk-ofta', count: 2 }] }],
  trend: { months: ['2026-10', '2026-11'], sources: [{ source: 'cn-isc', started: [0, 3] }], refused: [0, 2] },
};

describe('monthlyReportHtml', () => {
  const page = monthlyReportHtml(data);

  it('escapes every name, in the markup and in the inlined data', () => {
    expect(page).not.toContain('<script>alert');
    expect(page).not.toContain('<img');
    expect(page).toContain('Dekyo &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    // Three script elements: the data, uPlot, the drawing script; the data still parses whole.
    expect(page.match(/<script\b/g)).toHaveLength(3);
    const json = /<script type="application\/json" id="monthly-data">([^<]*)<\/script>/.exec(page)![1]!;
    expect(JSON.parse(json)).toEqual(data);
  });

  it('names the centre, the node, the period and the data set, with no attribution when the default data is not used', () => {
    for (const said of ['jp-dekyo', 'https://spamx.dekyo.example.jp', '2026-11-01T00:00:00Z to 2026-12-01T00:00:00Z', 'delegated-apnic-extended-latest (2026-11-30)', 'Generated</dt><dd>2026-12-02T08:00:00Z']) {
      expect(page).toContain(said);
    }
    expect(page).not.toContain('DB-IP');
    expect(page).not.toMatch(/<[a-z][^<>]*\b(?:src|href)\s*=/i); // no element loads anything
    expect(page).toContain("Content-Security-Policy\" content=\"default-src 'none'");
    expect(page).toContain('1.84e+19'); // 2^64 addresses, not 20 digits
  });
});
