import type { Context } from 'hono';
import { html } from 'hono/html';
import { SpamxError } from '../../core/errors.js';
import type { LookupResult } from '../../read/lookup-answer.js';
import type { ServeDeps } from '../deps.js';
import type { ConsoleEnv } from './console-auth.js';
import { int } from './format.js';
import { renderPage } from './layout.js';
import { dbIpCredit } from '../db-ip-credit.js';

/** A file name for the evidence download: the address with ':' (IPv6) made safe. */
export function evidenceFileName(address: string): string {
  return `spamx-evidence-${address.replace(/[^\w.]/g, '-')}.json`;
}

/**
 * A distribution label as the console shows it (README "Labels"): TLP:AMBER and above are marked,
 * since they reach fewer readers than the list (amber: scoped keys in this centre's country; the
 * rest: this centre only).
 */
function tlpCell(tlp: string | undefined) {
  // The operator's lookup names every label but green, the default (read/lookup-answer.ts).
  const label = tlp ?? 'green';
  const name = `TLP:${label.toUpperCase()}`;
  return label === 'clear' || label === 'green' ? html`<span class="muted">${name}</span>` : html`<b class="warn">${name}</b>`;
}

function sourcesTable(result: LookupResult) {
  if (result.matches.length === 0) return html`<p class="muted">No centre has reported a prefix covering this address.</p>`;
  return html`<table><thead><tr><th>Prefix</th><th>Source centre</th><th>State</th><th>First seen</th><th>Last seen</th><th class="num">Reports</th><th>Expires</th><th>Category / reason</th><th>Label</th><th>Signed batch</th></tr></thead><tbody>
  ${result.matches.map((m) =>
    m.sources.map(
      (s) => html`<tr><td><code>${m.prefix}</code></td><td>${s.publisher}</td>
      <td class="${s.state === 'active' ? 'bad' : 'muted'}">${s.state}</td><td>${s.firstSeen ?? '–'}</td><td>${s.lastSeen ?? '–'}</td><td class="num">${s.reports === null ? '–' : int(s.reports)}</td><td>${s.expires ?? '–'}</td>
      <td>${s.category ?? ''}${s.reason ? html` <span class="muted">${s.reason}</span>` : ''}</td>
      <td>${tlpCell(s.tlp)}</td>
      <td><a href="${s.batch.url}">${s.batch.publisher} #${s.batch.seq}</a>${s.batch.leafHash ? html`<div class="mono muted">leaf ${s.batch.leafHash}</div>` : ''}</td></tr>`,
    ),
  )}
  </tbody></table>`;
}

/** `GET /ui/listing/:ip`: the lookup with its provenance, the address's origin, the evidence to download. */
export function listingPage(c: Context<ConsoleEnv>, deps: ServeDeps, ip: string) {
  const page = (title: string, body: ReturnType<typeof html>, status: 200 | 400 = 200) =>
    renderPage(c, { title, active: 'listing', session: c.get('session'), centre: deps.config.id, body, query: ip, status });
  let result: LookupResult;
  try {
    result = deps.actions.lookup(ip);
  } catch (err) {
    if (err instanceof SpamxError && err.code === 'BAD_REQUEST') return page('Look up an address', html`<p class="error">${err.message}</p>`, 400);
    throw err;
  }
  const o = result.origin;
  const body = html`
<div class="figures">
  <div class="figure"><b class="${result.listed ? 'bad' : 'ok'}">${result.listed ? 'Listed' : 'Not listed'}</b><span>on this node's served list</span></div>
  <div class="figure"><b>${o.country ?? '–'}</b><span>country of registration${o.registry ? ` (${o.registry})` : ''}</span></div>
  <div class="figure"><b>${o.asn === null ? '–' : `AS${o.asn}`}</b><span>${o.asName ?? 'originating network'}</span></div>
</div>
${o.country !== null || o.asn !== null ? dbIpCredit(deps.origins().datasets) : ''}
<section class="card">
  ${result.listed
    ? html`<p>Listed by ${result.listedBy.map((p) => html`<code>${p.prefix}</code> (${p.sources.join(', ')}, until ${p.expires}, ${tlpCell(p.tlp)}) `)}</p>
      <p><a href="/ui/listing/${encodeURIComponent(result.address)}/evidence.json" download="${evidenceFileName(result.address)}">Download the evidence bundle</a>
      <span class="muted">— the signed batches and their inclusion proofs; check it offline with <code>spamx verify-evidence</code>.</span></p>`
    : html`<p>${result.notListedBecause.length ? result.notListedBecause.join('; ') : 'No listing covers it.'}</p>`}
  ${result.allowlisted ? html`<p class="warn">Allowlisted by ${result.allowlisted}.</p>` : ''}
  ${result.specialPurpose ? html`<p class="warn">Special-purpose address space: ${result.specialPurpose}.</p>` : ''}
  <h2>Provenance</h2>
  ${sourcesTable(result)}
  ${result.refusals.length
    ? html`<h2>Refused reports</h2><table><thead><tr><th>Publisher</th><th>Prefix</th><th>Code</th><th>Reason</th></tr></thead><tbody>
      ${result.refusals.map((r) => html`<tr><td>${r.publisher}</td><td><code>${r.prefix}</code></td><td><code>${r.code}</code></td><td>${r.reason}</td></tr>`)}</tbody></table>`
    : ''}
</section>`;
  return page(result.address, body);
}

/** `GET /ui/listing/:ip/evidence.json`: the bundle `spamx evidence` prints, as a download. */
export function evidenceDownload(c: Context<ConsoleEnv>, deps: ServeDeps, ip: string) {
  const { bundle, skipped, notListed } = deps.evidence(ip);
  if (!bundle) {
    throw new SpamxError('NOT_FOUND', notListed !== undefined ? `${ip} is not listed: ${notListed}` : `no listing of ${ip} can be proven yet: ${skipped.join('; ')}`);
  }
  c.header('content-disposition', `attachment; filename="${evidenceFileName(bundle.address)}"`);
  return c.json(bundle);
}
