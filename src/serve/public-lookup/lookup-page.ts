import { html } from 'hono/html';
import type { OriginDataset } from '../../core/origin.js';
import type { LookupResult } from '../../read/lookup-answer.js';
import type { Descriptor } from '../deps.js';
import { nodeLine, publicPage, type Html } from './public-page.js';
import { dbIpCredit } from '../db-ip-credit.js';

/*
 * `GET /lookup/{ip}` (PROTOCOL "Additions: console"): what a listed party sees when it follows
 * the link in a DNSBL TXT record or a Postfix reject text — whether the address is listed, by
 * which centres, since when and why, where it is registered, and how to ask for removal. Made
 * from the node's own lookup answer (read/lookup-answer.ts), never from a query of its own.
 */

export interface LookupPageInput {
  readonly node: Descriptor;
  readonly result: LookupResult;
  /** The origin data sets in use: the page credits DB-IP when the origin shown comes from its data. */
  readonly datasets: readonly Pick<OriginDataset, 'name'>[];
  readonly maxMessageChars: number;
}

type Match = LookupResult['matches'][number];
type Source = Match['sources'][number];

export function lookupPage({ node, result, datasets, maxMessageChars }: LookupPageInput): Html {
  const active: { prefix: string; source: Source }[] = result.matches.flatMap((m) => m.sources.filter((s) => s.state === 'active').map((source) => ({ prefix: m.prefix, source })));
  const centres = [...new Set(result.listedBy.flatMap((p) => p.sources))];
  const since = active.map((a) => a.source.firstSeen).filter((t): t is string => t !== null).sort()[0];
  const verdict = result.listed
    ? html`<p class="verdict listed"><code>${result.address}</code> is listed by ${centres.length === 1 ? 'the centre' : `${centres.length} centres`} ${centres.map((id, i) => html`${i > 0 ? ', ' : ''}<code>${id}</code>`)}${since ? html`, since ${since}` : ''}.</p>`
    : html`<p class="verdict clear"><code>${result.address}</code> is not listed by this node.</p>`;
  return publicPage(
    node,
    `Address ${result.address}`,
    html`${searchForm(result.address)}
${verdict}
${result.listed ? listings(result, active) : history(result)}
${origin(result, datasets)}
${result.listed ? removal(node, result.address, centres, maxMessageChars) : ''}`,
  );
}

/** A box to look up another address (`GET /lookup?ip=` redirects to `/lookup/{ip}`). */
export function searchForm(value = ''): Html {
  return html`<form class="lookup" method="get" action="../lookup"><input name="ip" value="${value}" aria-label="IP address" placeholder="an IPv4 or IPv6 address" required><button>Look up</button></form>`;
}

function listings(result: LookupResult, active: readonly { prefix: string; source: Source }[]): Html {
  const pieces = result.listedBy.map((p) => html`<tr><td><code>${p.prefix}</code></td><td>${p.sources.join(', ')}</td><td>${p.expires}</td></tr>`);
  return html`<h2>Why</h2>
<table><thead><tr><th>Centre</th><th>Listed range</th><th>Since</th><th>Last seen</th><th>Reports</th><th>Category</th><th>Reason</th><th>Expires</th></tr></thead>
<tbody>${active.map(
    ({ prefix, source: s }) =>
      html`<tr><td><code>${s.publisher}</code></td><td><code>${prefix}</code></td><td>${s.firstSeen ?? '—'}</td><td>${s.lastSeen ?? '—'}</td><td>${s.reports ?? '—'}</td><td>${s.category ?? '—'}</td><td>${s.reason ?? '—'}</td><td>${s.expires ?? '—'}</td></tr>`,
  )}</tbody></table>
<p class="note">Each listing is in a signed batch of that centre's public feed, and expires unless the centre sees spam from the range again. Served as:</p>
<table><thead><tr><th>Range served</th><th>Centres</th><th>Until</th></tr></thead><tbody>${pieces}</tbody></table>`;
}

/** Not listed: what the node knows of earlier listings (expired, delisted) and why it does not list. */
function history(result: LookupResult): Html {
  if (result.notListedBecause.length === 0) return html``;
  return html`<h2>History</h2><ul>${result.notListedBecause.map((line) => html`<li>${line}</li>`)}</ul>`;
}

function origin(result: LookupResult, datasets: readonly Pick<OriginDataset, 'name'>[]): Html {
  const o = result.origin;
  if (o.country === null && o.asn === null) return html``;
  return html`<h2>Where the address is registered</h2>
<table><tbody>
${o.country !== null ? html`<tr><th>Country</th><td>${o.country}</td></tr>` : ''}
${o.asn !== null ? html`<tr><th>Network</th><td>AS${o.asn}${o.asName !== null ? html` ${o.asName}` : ''}</td></tr>` : ''}
${o.registry !== null ? html`<tr><th>Registry</th><td>${o.registry}</td></tr>` : ''}
</tbody></table>
${dbIpCredit(datasets)}`;
}

/** How to ask for removal: a plain form (no script) posting to `POST /v1/removal-requests`. */
function removal(node: Descriptor, address: string, centres: readonly string[], maxMessageChars: number): Html {
  const others = centres.filter((c) => c !== node.id);
  const own = centres.includes(node.id);
  return html`<h2>Asking for removal</h2>
<p>If the spam has stopped (a compromised host cleaned, an open relay closed, a dynamic address
reassigned), tell the operator of ${nodeLine(node)}. A request never removes a listing by itself:
the operator reads it${own ? ', and when they accept it this node withdraws its own listing in its next signed batch' : ''}.
${others.length > 0 ? html`Listings by ${own ? 'other centres' : 'the centres'} (${others.join(', ')}) stay until those centres withdraw them or they expire; this node's operator can pass the request on.` : ''}</p>
<form class="removal" method="post" action="../v1/removal-requests">
<input type="hidden" name="address" value="${address}">
<label for="contact">Your e-mail address</label>
<input id="contact" name="contact" type="email" required maxlength="254" placeholder="postmaster@your-domain">
<label for="message">What changed (at most ${maxMessageChars} characters)</label>
<textarea id="message" name="message" rows="6" maxlength="${maxMessageChars}"></textarea>
<p><button>Send the request</button></p>
<p class="note">The operator sees your e-mail address, your message and when you sent it, and may answer you by e-mail.</p>
</form>`;
}
