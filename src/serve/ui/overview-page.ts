import type { Context } from 'hono';
import { html } from 'hono/html';
import type { ServeDeps } from '../deps.js';
import type { ConsoleEnv } from './console-auth.js';
import { listSizeSeries, refusalSeries } from './console-series.js';
import { int, percent } from './format.js';
import { renderPage } from './layout.js';
import type { OriginSeries } from './origin-series.js';
import { dbIpCredit } from '../db-ip-credit.js';

/**
 * `GET /ui/`: the charts a centre's reports are made of. The charts are drawn in the browser from
 * /ui/api/ (console-script.ts); the tables and figures are rendered here from the same series.
 */
export async function overviewPage(c: Context<ConsoleEnv>, deps: ServeDeps, origins: () => Promise<OriginSeries>) {
  deps.project();
  const now = deps.clock();
  const size = listSizeSeries(deps.store, now);
  const refusals = refusalSeries(deps.store, now);
  const o = await origins();
  const status = deps.actions.status();
  const body = html`
<div class="figures">
  <div class="figure"><b>${int(size.points.at(-1)?.listed ?? 0)}</b><span>listed pieces now</span></div>
  <div class="figure"><b>${int(status.peers.length)}</b><span>partners pulled</span></div>
  <div class="figure"><b>${int(status.feed.size)}</b><span>batches in this centre's feed</span></div>
  <div class="figure"><b>${int(refusals.total)}</b><span>entries refused since ${refusals.since}</span></div>
  <div class="figure">${
    o.domestic
      ? html`<b>${percent(o.domestic.share)}</b><span>of listings in ${o.domestic.country} (this centre's country): ${int(o.domestic.pieces)} of ${int(o.total)}</span>`
      : html`<b>–</b><span>share in this centre's country: no <code>country</code> in config.json</span>`
  }</div>
</div>
<div class="grid">
  <section class="card"><h2>Merged list size</h2><p class="note">Pieces on the served list at the end of each hour it changed (UTC), last 90 days.</p>
    <div class="chart" data-chart="list-size" data-src="/ui/api/list-size"></div></section>
  <section class="card"><h2>Listings started per month, by source centre</h2><p class="note">New listings each UTC month, stacked by the centre that listed them.</p>
    <div class="chart" data-chart="listings-by-month" data-src="/ui/api/listings-by-month"></div></section>
  <section class="card"><h2>Listings by origin country (top 20)</h2><p class="note">Listed pieces by the country their addresses are registered in${
    o.ownCountry ? html`; <span class="bad">${o.ownCountry}</span>, this centre's country, in red` : ''
  }. Origin data: ${o.dataset.sets.map((d) => `${d.name} ${d.date}`).join(', ')}.</p>
    <div class="chart" data-chart="origins" data-src="/ui/api/origins"></div>${dbIpCredit(o.dataset.sets)}</section>
  <section class="card"><h2>Refusals by reason</h2><p class="note">Entries refused by this node's policy since ${refusals.since}, by error code.</p>
    <div class="chart" data-chart="refusals" data-src="/ui/api/refusals"></div></section>
  <section class="card"><h2>Top networks</h2><p class="note">Listed pieces by originating AS, as of ${o.asOf}.</p>
    <table id="networks"><thead><tr><th>AS</th><th>Name</th><th class="num">Pieces</th><th class="num">Addresses</th><th class="num">Reports</th></tr></thead><tbody>
    ${o.networks.length === 0 ? html`<tr><td colspan="5" class="muted">Nothing listed yet.</td></tr>` : ''}
    ${o.networks.map(
      (n) => html`<tr><td>${n.asn === null ? 'unknown' : `AS${n.asn}`}</td><td>${n.name ?? '–'}</td><td class="num">${int(n.pieces)}</td><td class="num">${int(n.addresses)}</td><td class="num">${int(n.reports)}</td></tr>`,
    )}
    </tbody></table></section>
  <section class="card"><h2>Refusals by publisher</h2><p class="note">Which partner's entries were refused, and why.</p>
    <table><thead><tr><th>Publisher</th><th>Code</th><th class="num">Entries</th></tr></thead><tbody>
    ${refusals.byPublisher.length === 0 ? html`<tr><td colspan="3" class="muted">No refusals.</td></tr>` : ''}
    ${refusals.byPublisher.map((r) => html`<tr><td>${r.publisher}</td><td><code>${r.code}</code></td><td class="num">${int(r.count)}</td></tr>`)}
    </tbody></table></section>
</div>`;
  return renderPage(c, { title: 'Overview', active: 'overview', session: c.get('session'), centre: deps.config.id, body, charts: true });
}
