import { html, raw } from 'hono/html';
import type { MonthlyData } from '../../read/monthly-data.js';
import { MONTHLY_CHARTS_SCRIPT } from './monthly-charts-script.js';
import { count, countriesTable, dailySizeTable, networksTable, refusalsTable, sourcesTable, totalsTable, trendTable } from './monthly-tables.js';
import { uplotAssets } from '../uplot-assets.js';

/**
 * The monthly report (issue 15 item 5): `spamx monthly --html` and the dashboard's
 * `/ui/monthly?month=` both use these two, and nothing else of this folder.
 *
 * - `monthlyData(inputs: MonthlyInputs): Promise<MonthlyData>` (src/read/monthly-data.ts): the
 *   figures of a month; project the store first. Throws SpamxError BAD_REQUEST for a month not
 *   `YYYY-MM` or not started yet.
 * - `monthlyReportHtml(data: MonthlyData): string`: the whole page, one self-contained file.
 */
export { monthlyData, type MonthlyData, type MonthlyInputs } from '../../read/monthly-data.js';

/**
 * Cuts both ways: the page asks for nothing outside itself (a partner may open it offline, and
 * no one learns they did), and a name or AS name in the data can never load anything.
 */
const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const STYLE = `
body { font: 15px/1.45 system-ui, sans-serif; color: #111; margin: 2rem auto; max-width: 62rem; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; } h2 { font-size: 1.15rem; margin-top: 2.25rem; border-bottom: 1px solid #ccc; }
dl.about { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; } dl.about dt { color: #555; } dl.about dd { margin: 0; }
table { border-collapse: collapse; margin: .75rem 0; } caption { text-align: left; color: #555; padding-bottom: .25rem; }
th, td { padding: .2rem .7rem; border-bottom: 1px solid #e4e4e4; text-align: left; } .n { text-align: right; font-variant-numeric: tabular-nums; }
thead th { border-bottom: 1px solid #999; } .none { color: #555; font-style: italic; } .chart { margin: .5rem 0; }
footer { margin-top: 3rem; color: #555; font-size: .9rem; }
@media print { .chart { break-inside: avoid; } section { break-inside: avoid-page; } }
`;

/** Data inlined in a script element: `<` escaped, so no text in it can close the element. */
function inlineJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** The report as one HTML file: uPlot, its style sheet, the data and the drawing script inlined. */
export function monthlyReportHtml(d: MonthlyData): string {
  const { js, css } = uplotAssets();
  const o = d.origin;
  const own = o.ownCountry;
  const chart = (name: string, label: string) => html`<div class="chart" data-chart="${name}" role="img" aria-label="${label}"></div>`;
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${raw(CSP)}">
<meta name="generator" content="spamx monthly">
<title>${d.centre.name}: spam-origin listings, ${d.month}</title>
<style>${raw(css)}${raw(STYLE)}</style>
</head>
<body>
<header>
<h1>${d.centre.name}: spam-origin listings, ${d.month}${d.period.complete ? '' : ' (month in progress)'}</h1>
<dl class="about">
<dt>Centre</dt><dd>${d.centre.name} (${d.centre.id})${d.centre.country ? `, ${d.centre.country}` : ''}</dd>
<dt>Node</dt><dd><code>${d.centre.publicUrl}</code></dd>
<dt>Period</dt><dd>${d.period.from} to ${d.period.to} (UTC)${d.period.complete ? '' : ', so far'}</dd>
<dt>Generated</dt><dd>${d.generatedAt}</dd>
<dt>Origin data</dt><dd>${d.origins.sets.map((s, i) => html`${i > 0 ? '; ' : ''}${s.name} (${s.date})`)} — data set id <code>${d.origins.id}</code></dd>
</dl>
</header>
<main>
<section id="totals"><h2>The month in figures</h2>
${d.totals.started === 0 && o.pieces === 0 ? html`<p class="none">No listings in ${d.month}.</p>` : ''}
${totalsTable(d)}
</section>
<section id="sources"><h2>Listings started per source centre</h2>
${d.sources.length > 0 ? chart('sources', `bar chart: listings started in ${d.month} per source centre`) : ''}
${sourcesTable(d)}
</section>
<section id="list-size"><h2>Merged list size</h2>
<p>The served list (every partner's listings merged), ${count(d.totals.listedAtStart)} at the start and ${count(d.totals.listedAtEnd)} at the end of the period.</p>
${chart('list-size', `line chart: merged list size over ${d.month}`)}
${dailySizeTable(d)}
</section>
<section id="countries"><h2>Listings by origin country</h2>
<p>Where the addresses of the listings first seen in ${d.month} and still listed at ${o.asOf} are registered: ${count(o.pieces)} listing(s).
A listing spanning several countries counts once in each.${own ? html` In the centre's own country (${own.country}): ${count(own.pieces)}, ${(own.share * 100).toFixed(1)} %.` : ''}</p>
${o.countries.length > 0 ? chart('countries', `bar chart: listings by origin country, top ${o.countries.length}`) : ''}
${countriesTable(d)}
</section>
<section id="networks"><h2>Top networks</h2>
${o.networks.length > 0 ? chart('networks', `bar chart: listings by originating AS, top ${o.networks.length}`) : ''}
${networksTable(d)}
</section>
<section id="refusals"><h2>Refusals by reason</h2>
${d.refusals.length > 0 ? chart('refusals', `bar chart: entries refused in ${d.month} by reason`) : ''}
${refusalsTable(d)}
</section>
<section id="trend"><h2>The months before</h2>
${d.trend.sources.length > 0 ? chart('trend', `line chart: listings started per source centre over ${d.trend.months.length} months`) : ''}
${trendTable(d)}
</section>
</main>
<footer>
<p>Made by spamx from the counters the node keeps as it applies batches, and the origin data named above.${d.origins.attribution ? html` ${d.origins.attribution}.` : ''}</p>
</footer>
<script type="application/json" id="monthly-data">${raw(inlineJson(d))}</script>
<script>${raw(js)}</script>
<script>${raw(MONTHLY_CHARTS_SCRIPT)}</script>
</body>
</html>
`;
  if (page instanceof Promise) throw new Error('monthlyReportHtml: an interpolation was asynchronous');
  return String(page);
}
