import { html } from 'hono/html';
import { listZoneSecondaries } from '../../store/zone-secondary-store.js';
import type { ServeDeps } from '../deps.js';
import { int, time } from './format.js';

/**
 * The peers page's card on the DNSBL zone's DNS secondaries (NOTIFY targets and clients that
 * asked for a transfer, store/zone-secondary-store.ts): the last serial each acknowledged or
 * took, its last transfer, and the transfers refused to it.
 */
export function secondariesSection(deps: ServeDeps) {
  const rows = listZoneSecondaries(deps.store);
  if (rows.length === 0 && deps.config.dnsbl.notify.length === 0) return '';
  return html`
<section class="card">
<h2>DNS secondaries</h2>
<p class="note">Servers that take the DNSBL zone by AXFR/IXFR (<code>dnsbl.notify</code>, <code>dnsbl.transfer</code>); times in UTC.</p>
<table><thead><tr><th>Secondary</th><th class="num">Serial</th><th>NOTIFY acknowledged</th><th>Last transfer</th><th class="num">Refused</th><th>Last error</th></tr></thead><tbody>
${rows.length === 0 ? html`<tr><td colspan="6" class="muted">No secondary has answered a NOTIFY or asked for a transfer yet.</td></tr>` : ''}
${rows.map(
  (z) => html`<tr><td><code>${z.secondary}</code></td><td class="num">${z.lastSerial ?? '–'}</td><td>${time(z.lastAckAt)}</td>
    <td>${z.lastTransferKind ?? ''} ${time(z.lastTransferAt)}</td><td class="num">${int(z.refused)}</td>
    <td>${z.lastError ? html`<span class="warn">${z.lastError}</span> (${time(z.lastErrorAt)})` : ''}</td></tr>`,
)}
</tbody></table>
</section>`;
}
