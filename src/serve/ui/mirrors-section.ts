import { html } from 'hono/html';
import { mirrorPolls } from '../../store/mirror-poll-store.js';
import type { ServeDeps } from '../deps.js';
import { duration } from './format.js';

/** A mirror not heard from for this long is marked: its default interval is a minute. */
const QUIET_MS = 15 * 60_000;

/**
 * The subscribers page's card on rbldnsd mirrors: each key's last poll by `spamx mirror`
 * (store/mirror-poll-store.ts), with how long ago, so an operator sees a mirror that stopped.
 */
export function mirrorsSection(deps: ServeDeps) {
  deps.metrics?.usage.flushMirrorPolls();
  const polls = mirrorPolls(deps.store);
  const now = deps.clock();
  return html`
<section class="card">
<h2>rbldnsd mirrors</h2>
<p class="note">Keys whose <code>spamx mirror</code> follows the change stream, by their last poll; times in UTC.</p>
<table><thead><tr><th>Subscriber</th><th>Last poll</th><th>Ago</th><th>Mirror</th></tr></thead><tbody>
${polls.length === 0 ? html`<tr><td colspan="4" class="muted">No mirror has polled yet.</td></tr>` : ''}
${polls.map((p) => {
  const ago = now - Date.parse(p.lastPollAt);
  return html`<tr><td>${p.subscriber}${p.revoked ? html` <span class="muted">(revoked)</span>` : ''}</td><td>${p.lastPollAt}</td>
    <td>${ago > QUIET_MS ? html`<span class="warn">${duration(ago)}</span>` : duration(ago)}</td><td><code>${p.agent}</code></td></tr>`;
})}
</tbody></table>
</section>`;
}
