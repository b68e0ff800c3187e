import { html } from 'hono/html';
import type { Descriptor } from '../deps.js';
import { publicPage, type Html } from './public-page.js';
import { searchForm } from './lookup-page.js';

/** A public page that only says something: an error, a limit reached, a request received. */
export function messagePage(node: Descriptor, title: string, text: string, options: { tone?: 'error' | 'clear'; back?: string; search?: boolean } = {}): Html {
  const back = options.back;
  return publicPage(
    node,
    title,
    html`<p class="verdict ${options.tone ?? 'error'}">${text}</p>
${back !== undefined ? html`<p><a href="${back}">Back to the address's page</a></p>` : ''}
${options.search ? searchForm() : ''}`,
  );
}

/** A relative link from `/v1/removal-requests` to an address's page (relative, so a path prefix of a reverse proxy stays). */
export function lookupLinkFromApi(address: string): string {
  return `../lookup/${pathSafe(address)}`;
}

/** An address as a path segment: the characters of an address's text stay (":" is allowed in a segment, RFC 3986 §3.3). */
export function pathSafe(address: string): string {
  return /^[0-9a-fA-F:.]+$/.test(address) ? address : encodeURIComponent(address);
}
