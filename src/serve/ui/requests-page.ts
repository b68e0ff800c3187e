import type { Context } from 'hono';
import { html } from 'hono/html';
import { SpamxError } from '../../core/errors.js';
import type { RemovalRequest } from '../../core/removal-request.js';
import { getRemovalRequest, listRemovalRequests } from '../../store/removal-request-store.js';
import type { ServeDeps } from '../deps.js';
import type { ConsoleEnv } from './console-auth.js';
import { checkCsrf } from './csrf.js';
import { time } from './format.js';
import { csrfField, renderPage } from './layout.js';

function row(r: RemovalRequest, c: Context<ConsoleEnv>) {
  return html`<tr id="request-${r.id}">
  <td>${time(r.createdAt)}</td><td><a href="/ui/listing/${encodeURIComponent(r.address)}"><code>${r.address}</code></a></td><td>${r.contact}</td><td>${r.message}</td>
  <td><span class="${r.status === 'open' ? 'warn' : r.status === 'accepted' ? 'ok' : 'muted'}">${r.status}</span>${r.decidedAt !== null ? html`<div class="muted">${time(r.decidedAt)}</div>` : ''}${r.decisionNote ? html`<div class="muted">${r.decisionNote}</div>` : ''}</td>
  <td>${r.status === 'open'
    ? html`<form class="inline" method="post" action="/ui/requests/${r.id}/decide">${csrfField(c.get('session'))}
        <input type="text" name="note" maxlength="256" placeholder="Note (the delist reason)" aria-label="note">
        <button type="submit" name="decision" value="accept">Accept</button>
        <button type="submit" name="decision" value="reject" class="reject">Reject</button></form>`
    : ''}</td></tr>`;
}

/** `GET /ui/requests`: listed parties' removal requests, open ones first, with their decisions. */
export function requestsPage(c: Context<ConsoleEnv>, deps: ServeDeps) {
  const open = listRemovalRequests(deps.store, { status: 'open', limit: 500 });
  const decided = listRemovalRequests(deps.store, { limit: 200 }).filter((r) => r.status !== 'open');
  const done = c.req.query('decided');
  const flash = done ? getRemovalRequest(deps.store, done) : undefined;
  const body = html`
${flash ? html`<p class="flash">Request for <code>${flash.address}</code> ${flash.status}${flash.status === 'accepted' ? ': a delist is queued for this centre’s next batch.' : '.'}</p>` : ''}
<section class="card">
<p class="note">Accepting queues a delist of this centre's own listings covering the address for its next batch; partners' listings stay theirs. Rejecting only marks the request. Neither is sent to the requester.</p>
<table><thead><tr><th>Received</th><th>Address</th><th>Contact</th><th>Message</th><th>Status</th><th>Decision</th></tr></thead><tbody>
${open.length + decided.length === 0 ? html`<tr><td colspan="6" class="muted">No removal requests.</td></tr>` : ''}
${open.map((r) => row(r, c))}
${decided.map((r) => row(r, c))}
</tbody></table>
</section>`;
  return renderPage(c, { title: 'Removal requests', active: 'requests', session: c.get('session'), centre: deps.config.id, body });
}

/** `POST /ui/requests/:id/decide`: accept (queues a delist) or reject, CSRF-checked for a session. */
export async function decideRequest(c: Context<ConsoleEnv>, deps: ServeDeps, id: string) {
  const form = await c.req.parseBody();
  const session = c.get('session');
  if (session) checkCsrf(c, session.csrf, typeof form.csrf === 'string' ? form.csrf : undefined, deps.publicUrl());
  const decision = form.decision;
  if (decision !== 'accept' && decision !== 'reject') throw new SpamxError('BAD_REQUEST', 'decision must be "accept" or "reject"');
  const note = typeof form.note === 'string' && form.note.trim() !== '' ? form.note.trim().slice(0, 256) : null;
  deps.actions.decideRemovalRequest(id, decision, note);
  return c.redirect(`/ui/requests?decided=${encodeURIComponent(id)}`, 303);
}
