import type { Context } from 'hono';
import { html } from 'hono/html';
import { monthHolding, shiftMonth } from '../../core/report-month.js';
import type { OriginStats } from '../../read/origin-stats.js';
import type { ServeDeps } from '../deps.js';
import { monthlyData, monthlyReportHtml } from '../monthly/monthly-report.js';
import type { ConsoleEnv } from './console-auth.js';
import { renderPage } from './layout.js';

/**
 * The monthly report is one self-contained file with its script and style inline, which the
 * console's policy forbids. It is served sandboxed (CSP `sandbox allow-scripts`, no
 * allow-same-origin): its charts draw, but as an opaque origin it can neither read the console's
 * pages nor send anything with the operator's cookie, and it loads nothing from anywhere.
 */
const REPORT_CSP =
  "sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** `YYYY-MM` of the month holding `now` and the `n - 1` before it, newest first. */
function recentMonths(now: number, n: number): string[] {
  const current = monthHolding(now);
  return Array.from({ length: n }, (_, k) => shiftMonth(current, -k).name);
}

/** `GET /ui/monthly`: pick a month; `?month=YYYY-MM` the report itself (`&download=1` as a file). */
export async function monthlyRoute(c: Context<ConsoleEnv>, deps: ServeDeps, stats: OriginStats) {
  const month = c.req.query('month');
  const now = deps.clock();
  if (month === undefined || month === '') {
    const body = html`<section class="card">
<p class="note">The month's charts and tables as one self-contained HTML file to send to partners (also <code>spamx monthly --month YYYY-MM --html FILE</code>).</p>
<form class="inline" method="get" action="/ui/monthly"><input type="month" name="month" value="${monthHolding(now).name}" aria-label="month"><button type="submit">Open report</button></form>
<table><thead><tr><th>Month</th><th></th></tr></thead><tbody>
${recentMonths(now, 12).map((m) => html`<tr><td><a href="/ui/monthly?month=${m}">${m}</a></td><td><a href="/ui/monthly?month=${m}&amp;download=1">download</a></td></tr>`)}
</tbody></table></section>`;
    return renderPage(c, { title: 'Monthly report', active: 'monthly', session: c.get('session'), centre: deps.config.id, body });
  }
  deps.project();
  const { id, name, country } = deps.config;
  const data = await monthlyData({
    store: deps.store,
    centre: { id, name, country },
    publicUrl: deps.publicUrl(),
    origins: deps.origins(),
    stats: (table, q, at) => stats.stats(table, q, at),
    month,
    now,
  });
  c.header('content-security-policy', REPORT_CSP);
  c.header('x-content-type-options', 'nosniff');
  c.header('referrer-policy', 'no-referrer');
  c.header('cache-control', 'no-store');
  if (c.req.query('download')) c.header('content-disposition', `attachment; filename="spamx-${id}-${data.month}.html"`);
  return c.html(monthlyReportHtml(data));
}
