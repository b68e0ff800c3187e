import type { Context } from 'hono';
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { assetUrl } from './assets.js';
import type { ConsoleSession } from './session.js';

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/**
 * Only the node's own files: no inline script or style (a reflected string cannot run), no other
 * origin for anything, no framing (clickjacking of the accept buttons), forms only to the node.
 */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** The headers every console response carries. */
export function consoleHeaders(c: Context): void {
  c.header('content-security-policy', CONSOLE_CSP);
  c.header('x-content-type-options', 'nosniff');
  c.header('x-frame-options', 'DENY');
  // Not no-referrer: under it a browser sends `Origin: null` with the console's own forms, which
  // the Origin check (csrf.ts) must refuse. same-origin tells other sites nothing.
  c.header('referrer-policy', 'same-origin');
  c.header('cache-control', 'no-store');
}

const NAV = [
  ['overview', '/ui/', 'Overview'],
  ['peers', '/ui/peers', 'Peers'],
  ['subscribers', '/ui/subscribers', 'Subscribers'],
  ['requests', '/ui/requests', 'Removal requests'],
  ['monthly', '/ui/monthly', 'Monthly report'],
] as const;

export interface PageOptions {
  readonly title: string;
  readonly active?: (typeof NAV)[number][0] | 'listing';
  /** Null when the request came with the bearer token (no session, nothing to log out of). */
  readonly session: ConsoleSession | null;
  readonly centre: string;
  readonly body: Html;
  /** Load uPlot and the chart script. */
  readonly charts?: boolean;
  readonly status?: ContentfulStatusCode;
  /** The search box's value. */
  readonly query?: string;
}

/** A console page: nav bar with search and logout, then the body. */
export function renderPage(c: Context, o: PageOptions): Response | Promise<Response> {
  consoleHeaders(c);
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${o.title} · spamx ${o.centre}</title>
${o.charts ? html`<link rel="stylesheet" href="${assetUrl('uplot.css')}">` : ''}
<link rel="stylesheet" href="${assetUrl('console.css')}">
</head>
<body>
<header class="top">
  <span class="brand">spamx<small>${o.centre}</small></span>
  <nav>${NAV.map(([key, href, label]) => html`<a href="${href}"${o.active === key ? html` class="active"` : ''}>${label}</a>`)}</nav>
  <form class="search" method="get" action="/ui/listing" role="search">
    <input type="search" name="ip" placeholder="Look up an address" value="${o.query ?? ''}" aria-label="IP address">
    <button type="submit">Look up</button>
  </form>
  ${o.session
    ? html`<form method="post" action="/ui/logout"><input type="hidden" name="csrf" value="${o.session.csrf}"><button type="submit">Log out</button></form>`
    : ''}
</header>
<main>
<h1>${o.title}</h1>
${o.body}
</main>
${o.charts ? html`<script src="${assetUrl('uplot.js')}"></script><script src="${assetUrl('console.js')}"></script>` : ''}
</body>
</html>`;
  return c.html(page, o.status ?? 200);
}

/** The hidden field every state-changing form carries (csrf.ts). */
export function csrfField(session: ConsoleSession | null): Html | string {
  return session ? html`<input type="hidden" name="csrf" value="${session.csrf}">` : '';
}
