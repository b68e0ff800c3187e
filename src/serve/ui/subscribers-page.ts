import type { Context } from 'hono';
import { html } from 'hono/html';
import { scopeSpecs } from '../../core/scope-spec.js';
import { listSubscribers } from '../../store/subscriber-store.js';
import { subscriberUsageSince } from '../../store/subscriber-usage-store.js';
import type { ServeDeps } from '../deps.js';
import type { ConsoleEnv } from './console-auth.js';
import { int, time } from './format.js';
import { renderPage } from './layout.js';
import { mirrorsSection } from './mirrors-section.js';

const DAY_MS = 86_400_000;

/**
 * `GET /ui/subscribers`: each key's name, scope, last use, and its requests and 429s in the last
 * day, from the usage the serving node counts per hour (store/subscriber-usage-store.ts; flushed
 * about once a minute, so the last minute may not show yet). Keys themselves are never shown:
 * only their hashes are stored.
 */
export function subscribersPage(c: Context<ConsoleEnv>, deps: ServeDeps) {
  const now = deps.clock();
  const usage = subscriberUsageSince(deps.store, now - DAY_MS);
  const subscribers = listSubscribers(deps.store);
  const body = html`
<section class="card">
<p class="note">Requests and 429s (rate limited) over the last 24 hours; times in UTC.${deps.config.subscribers.public ? ' This node also serves subscribers without a key (subscribers.public).' : ''}</p>
<table><thead><tr><th>Name</th><th>Scope</th><th>Contact</th><th>Created</th><th>Last use</th><th class="num">Requests (24 h)</th><th class="num">429s (24 h)</th><th>State</th></tr></thead><tbody>
${subscribers.length === 0 ? html`<tr><td colspan="8" class="muted">No subscriber keys (<code>spamx subscriber add NAME</code>).</td></tr>` : ''}
${subscribers.map((s) => {
  const u = usage.get(s.id);
  const scope = s.scope ? scopeSpecs(s.scope) : [];
  return html`<tr><td>${s.name}</td><td>${scope.length ? scope.map((v) => html`<code>${v}</code> `) : html`<span class="muted">whole list</span>`}</td><td>${s.contact ?? '–'}</td>
    <td>${time(s.createdAt)}</td><td>${time(u?.lastUsedAt)}</td><td class="num">${int(u?.requests ?? 0)}</td>
    <td class="num">${(u?.limited ?? 0) > 0 ? html`<span class="warn">${int(u!.limited)}</span>` : '0'}</td>
    <td>${s.revokedAt === null ? html`<span class="ok">active</span>` : html`<span class="muted">revoked ${time(s.revokedAt)}</span>`}</td></tr>`;
})}
</tbody></table>
</section>
${mirrorsSection(deps)}`;
  return renderPage(c, { title: 'Subscribers', active: 'subscribers', session: c.get('session'), centre: deps.config.id, body });
}
