import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { MonthlyData } from '../../read/monthly-data.js';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** An integer with thousands separators; counts of IPv6 addresses (2^64 a /64) as powers of ten. */
export function count(n: number): string {
  return n >= 1e15 ? n.toExponential(2) : n.toLocaleString('en-US');
}

const percent = (share: number) => `${(share * 100).toFixed(1)} %`;

/** A table with a caption, or one line saying there is nothing, e.g. "No listings." */
function table(caption: string, head: readonly string[], rows: readonly (readonly (string | number)[])[], none: string): Html {
  if (rows.length === 0) return html`<p class="none">${none}</p>`;
  return html`<table>
<caption>${caption}</caption>
<thead><tr>${head.map((h, i) => html`<th scope="col"${typeof rows[0]![i] === 'number' ? html` class="n"` : ''}>${h}</th>`)}</tr></thead>
<tbody>
${rows.map((r) => html`<tr>${r.map((cell, i) => (i === 0 ? html`<th scope="row">${cell}</th>` : typeof cell === 'number' ? html`<td class="n">${count(cell)}</td>` : html`<td>${cell}</td>`))}</tr>\n`)}</tbody>
</table>`;
}

export function totalsTable(d: MonthlyData): Html {
  const t = d.totals;
  return table(
    `${d.month}, ${d.period.from} to ${d.period.to}`,
    ['', 'count'],
    [
      ['listings started (each source centre counted)', t.started],
      ['listings ended', t.ended],
      ['entries refused by this node', t.refused],
      [`merged list size at ${d.period.from}`, t.listedAtStart],
      [`merged list size at ${d.period.to}`, t.listedAtEnd],
    ],
    '',
  );
}

export function sourcesTable(d: MonthlyData): Html {
  return table('Listings started and ended per source centre', ['source centre', 'started', 'ended'], d.sources.map((s) => [s.source, s.started, s.ended]), `No listings in ${d.month}.`);
}

export function dailySizeTable(d: MonthlyData): Html {
  return table('Merged list size at the end of each UTC day', ['day ending', 'listed'], d.listSizeDaily.map((p) => [p.at, p.listed]), '');
}

export function countriesTable(d: MonthlyData): Html {
  const o = d.origin;
  return table(
    `Listings first seen in ${d.month} by origin country, top ${o.countries.length} (as of ${o.asOf})`,
    ['country', 'listings', 'share', 'addresses'],
    o.countries.map((r) => [r.country, r.pieces, percent(o.pieces === 0 ? 0 : r.pieces / o.pieces), r.addresses]),
    `No listings first seen in ${d.month} are listed now.`,
  );
}

export function networksTable(d: MonthlyData): Html {
  return table(
    `Listings first seen in ${d.month} by originating network (AS), top ${d.origin.networks.length}`,
    ['AS', 'name', 'listings', 'addresses'],
    d.origin.networks.map((r) => [r.asn === null ? 'unknown' : `AS${r.asn}`, r.name ?? '', r.pieces, r.addresses]),
    `No listings first seen in ${d.month} are listed now.`,
  );
}

export function refusalsTable(d: MonthlyData): Html {
  return table(
    `Entries of partners' batches this node refused in ${d.month}, by reason`,
    ['reason (code)', 'refused', 'by publisher'],
    d.refusals.map((r) => [r.code, r.count, r.publishers.map((p) => `${p.publisher} ${count(p.count)}`).join(', ')]),
    `No entries refused in ${d.month}.`,
  );
}

export function trendTable(d: MonthlyData): Html {
  const { months, sources, refused } = d.trend;
  const rows = months.map((m, i) => [m, ...sources.map((s) => s.started[i]!), refused[i]!]);
  return table(`Listings started per source centre, and entries refused, over the ${months.length} months to ${d.month}`, ['month', ...sources.map((s) => s.source), 'refused'], rows, '');
}
