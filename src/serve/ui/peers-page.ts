import type { Context } from 'hono';
import { html } from 'hono/html';
import { describeError } from '../../core/errors.js';
import type { KeyHistory } from '../../core/key-history.js';
import { tlpName } from '../../core/tlp.js';
import { keyHistoryOf } from '../../store/key-statement-store.js';
import { ownSealedBatches } from '../../store/partner-access-store.js';
import { peerFeedFacts } from '../../store/peer-console-store.js';
import { listEvidence } from '../../store/witness-store.js';
import type { ServeDeps } from '../deps.js';
import type { ConsoleEnv } from './console-auth.js';
import { duration, int, time } from './format.js';
import { renderPage } from './layout.js';
import { secondariesSection } from './secondaries-section.js';

type StatusPeer = ReturnType<ServeDeps['actions']['status']>['peers'][number];

/** The last pull's outcome: OK, or the code of a failure newer than the last success. */
function outcome(p: StatusPeer): { code: string; ok: boolean } {
  if (p.lastError && (p.lastSuccessAt === null || (p.lastError.at ?? '') >= p.lastSuccessAt)) return { code: p.lastError.code, ok: false };
  return p.lastSuccessAt === null ? { code: 'never pulled', ok: false } : { code: 'OK', ok: true };
}

function keyTable(history: KeyHistory | string) {
  if (typeof history === 'string') return html`<p class="bad">Key history unreadable: ${history}</p>`;
  if (history.count === 0) return html`<p class="note muted">No key statements held: the partner has signed with the key pinned for it since its first batch.</p>`;
  return html`<table><thead><tr><th>Key (kid)</th><th class="num">Signs from seq</th><th class="num">Through seq</th><th>Revoked after</th><th>State</th></tr></thead><tbody>
  ${[...history.keys.values()].map(
    (k) => html`<tr><td><code>${k.kid}</code></td><td class="num">${k.fromSeq}</td><td class="num">${k.throughSeq ?? '–'}</td><td>${k.revokedAfter === null ? '–' : html`<span class="bad">seq ${k.revokedAfter}</span>`}</td>
      <td>${history.inForce.includes(k.kid) ? html`<span class="ok">in force${history.inForce[0] === k.kid ? ' (signing)' : ''}</span>` : html`<span class="muted">retired</span>`}</td></tr>`,
  )}
  </tbody></table>`;
}

type Federation = ReturnType<ServeDeps['actions']['status']>['federation'];
type Requester = Federation['requesters'][number];

/** A partner's signed requests served and refused (serve/partner-access.ts counts them). */
function accessText(r: Requester | undefined) {
  if (r === undefined) return html`<span class="muted">none counted</span>`;
  return html`${int(r.signed)} signed requests served${r.lastSignedAt ? html` <span class="muted">(last ${r.lastSignedAt})</span>` : ''}${
    r.refused ? html` · <span class="warn">${int(r.refused)} refused</span>, last <code>${r.lastRefusalCode}</code> at ${r.lastRefusedAt}` : ''
  }`;
}

/** Who may download this centre's batches, requests by strangers, and the batches sealed to whom. */
function accessSection(deps: ServeDeps, f: Federation, pinned: ReadonlySet<string>) {
  const strangers = f.requesters.filter((r) => !pinned.has(r.partner));
  const sealed = ownSealedBatches(deps.store, deps.config.id, 20);
  return html`<section class="card" id="access">
  <h2>Access to this centre's batches: <code>${f.access}</code></h2>
  <p class="note muted">${f.access === 'partners' ? 'Batches are served to requests signed by a pinned partner\'s key (RFC 9421), and to this console.' : 'Batches labelled clear or green are served to anyone; restricted labels only to signed requests of pinned partners.'}</p>
  ${strangers.length
    ? html`<table><thead><tr><th>Requester</th><th class="num">Served</th><th class="num">Refused</th><th>Last refusal</th></tr></thead><tbody>
      ${strangers.map((r) => html`<tr><td><code>${r.partner}</code></td><td class="num">${int(r.signed)}</td><td class="num">${int(r.refused)}</td><td>${r.lastRefusalCode ? html`<code>${r.lastRefusalCode}</code> at ${r.lastRefusedAt}` : '–'}</td></tr>`)}
      </tbody></table>`
    : html`<p class="muted">No requests from anyone but pinned partners.</p>`}
  <h2>Sealed batches (${int(f.sealed.batches)})</h2>
  ${sealed.length
    ? html`<table><thead><tr><th class="num">Seq</th><th>Issued</th><th>Label</th><th>Sealed to</th></tr></thead><tbody>
      ${sealed.map((b) => html`<tr><td class="num">${b.seq}</td><td>${time(b.issuedAt)}</td><td>TLP:${tlpName(b.tlp).toUpperCase()}</td><td>${b.recipients.split(' ').join(', ')}</td></tr>`)}
      </tbody></table>`
    : html`<p class="muted">None: <code>spamx report FILE --to PARTNER</code> seals a batch to named partners.</p>`}
</section>`;
}

/** `GET /ui/peers`: each partner's pulls, lag, backoff, witnessing, alarms and keys. */
export function peersPage(c: Context<ConsoleEnv>, deps: ServeDeps) {
  const status = deps.actions.status();
  const now = deps.clock();
  const requesters = new Map(status.federation.requesters.map((r) => [r.partner, r]));
  const sections = status.peers.map((p) => {
    const facts = peerFeedFacts(deps.store, p.id);
    let history: KeyHistory | string;
    try {
      history = keyHistoryOf(deps.store, p.id);
    } catch (err) {
      history = describeError(err);
    }
    const result = outcome(p);
    const lagBatches = Math.max(0, facts.knownSize - p.seq);
    const evidence = listEvidence(deps.store, p.id);
    const w = p.witness;
    return html`<section class="card peer" id="peer-${p.id}">
  <h2>${p.id} <span class="${result.ok ? 'ok' : 'bad'}">${result.code}</span>${w.frozen ? html` <span class="bad">FROZEN</span>` : ''}</h2>
  <dl class="kv">
    <dt>URL</dt><dd><code>${p.url}</code>${p.mirrors.length ? html` · mirrors: ${p.mirrors.map((m) => html`<code>${m}</code> `)}` : ''}</dd>
    <dt>Last pull</dt><dd>${p.lastAttemptAt ?? 'never'}${p.lastSource ? html` <span class="muted">from ${p.lastSource}</span>` : ''}</dd>
    <dt>Last success</dt><dd>${p.lastSuccessAt ?? 'never'}</dd>
    <dt>Outcome</dt><dd>${result.ok ? html`<span class="ok">OK</span>` : html`<span class="bad">${result.code}</span>${p.lastError ? html` — ${p.lastError.message} <span class="muted">(${p.lastError.at})</span>` : ''}`}</dd>
    <dt>Batches held</dt><dd>${int(p.seq)} ${facts.newestBatch ? html`<span class="muted">(newest issued ${time(facts.newestBatch.issuedAt)}, received ${time(facts.newestBatch.receivedAt)})</span>` : ''}</dd>
    <dt>Lag</dt><dd>${lagBatches === 0 ? html`<span class="ok">0 batches</span>` : html`<span class="warn">${int(lagBatches)} batches</span> behind size ${int(facts.knownSize)}`} · ${
      p.lastSuccessAt === null ? 'never pulled' : `${duration(now - Date.parse(p.lastSuccessAt))} since the last successful pull`
    }</dd>
    <dt>Backoff</dt><dd>${p.consecutiveFailures === 0 ? 'none' : html`<span class="warn">${p.consecutiveFailures === 1 ? '1 failure' : `${p.consecutiveFailures} failures in a row`}</span>`}${p.nextAttemptAt ? html` · next attempt ${p.nextAttemptAt}` : ''}</dd>
    <dt>Witness</dt><dd>trusted size ${int(w.trustedSize)} · ${
      w.witnessed ? html`<span class="ok">witnessed</span> at size ${int(w.witnessed.size)} (${w.witnessed.at}, quorum ${w.witnessed.quorum})` : html`<span class="warn">no quorum of cosignatures</span>`
    }${w.stale ? html` · <span class="warn">stale</span>` : ''}</dd>
    <dt>Cosignatures</dt><dd>${w.cosignatures.length === 0 ? 'none' : w.cosignatures.map((s) => html`<div><code>${s.witness}</code> size ${int(s.size)} at ${s.time}</div>`)}</dd>
    ${w.frozen ? html`<dt>Frozen</dt><dd class="bad">since ${w.frozen.at}: ${w.frozen.reason}</dd>` : ''}
    <dt>Its requests here</dt><dd>${accessText(requesters.get(p.id))}</dd>
    <dt>Sealed to it</dt><dd>${int(status.federation.sealed.byRecipient[p.id] ?? 0)} of this centre's batches</dd>
  </dl>
  ${evidence.map(
    (e) => html`<div class="alarm"><b>${e.kind}</b> at ${time(e.at)}: ${e.detail}
      <pre class="evidence">${e.noteA}${e.noteB ? `\n----\n${e.noteB}` : ''}</pre></div>`,
  )}
  <h2>Key history</h2>
  ${facts.signers.length
    ? html`<table><thead><tr><th>Signing key (kid)</th><th class="num">Batches</th><th>Seq</th><th>Issued</th></tr></thead><tbody>
      ${facts.signers.map((k) => html`<tr><td><code>${k.kid}</code></td><td class="num">${int(k.batches)}</td><td>${k.firstSeq}–${k.lastSeq}</td><td>${time(k.firstIssuedAt)} – ${time(k.lastIssuedAt)}</td></tr>`)}
      </tbody></table>`
    : ''}
  ${keyTable(history)}
  ${facts.statements.length ? html`<p class="note muted">Statements held: ${facts.statements.map((s) => `#${s.statement} (received ${time(s.receivedAt)})`).join(', ')}</p>` : ''}
</section>`;
  });
  const body = html`
${status.alarms.length ? html`<div class="error">${status.alarms.length} alarm(s): ${status.alarms.map((a) => `${a.publisher} ${a.kind} at ${a.at}`).join('; ')}</div>` : ''}
<p class="muted">As of ${status.time}. This centre's feed: ${int(status.feed.size)} batches, ${int(status.feed.queuedReports)} reports queued for the next batch.</p>
${sections.length ? sections : html`<p class="muted">No partners are pinned (<code>spamx peer add</code>).</p>`}
${accessSection(deps, status.federation, new Set(status.peers.map((p) => p.id)))}
${secondariesSection(deps)}`;
  return renderPage(c, { title: 'Peers', active: 'peers', session: c.get('session'), centre: deps.config.id, body });
}
