import { Hono, type Context } from 'hono';
import { isSpamxError } from '../../core/errors.js';
import type { ServeDeps } from '../deps.js';
import { lookupPage } from './lookup-page.js';
import { messagePage, pathSafe } from './message-page.js';
import { publicLimit } from './public-limit.js';
import { sendPage } from './public-page.js';
import { EVERYONE_VIEW } from '../../read/lookup-answer.js';

/**
 * `GET /lookup/{ip}`: the public page about one address (PROTOCOL "Additions: console"), with no
 * credentials even when `subscribers.public` is false — it is where DNSBL TXT records and reject
 * texts send a listed party. Bounded per client address (`serve.publicLookupsPerMinute`).
 * `GET /lookup?ip=` (the page's search box) redirects to the address's page.
 */
export function publicLookupRoutes(deps: ServeDeps): Hono {
  const app = new Hono();
  const limit = publicLimit(deps);

  app.get('/lookup/:ip', async (c) => {
    const limited = await tooMany(c, deps, limit.take(c));
    if (limited) return limited;
    const node = deps.descriptor();
    let result;
    try {
      // The public page is anyone's: it shows what reaches everyone (clear, green) and no more.
      result = deps.actions.lookup(c.req.param('ip'), EVERYONE_VIEW);
    } catch (err) {
      if (!isSpamxError(err, 'BAD_REQUEST')) throw err;
      const text = `"${c.req.param('ip')}" is not an IP address. Give one IPv4 address (61.4.12.7) or IPv6 address (2400:cb00::1), without a prefix length.`;
      return sendPage(c, messagePage(node, 'Not an IP address', text, { search: true }), 400);
    }
    return sendPage(c, lookupPage({ node, result, datasets: deps.origins().datasets, maxMessageChars: deps.config.removals.maxMessageChars }));
  });

  app.get('/lookup', (c) => lookupForm(c, deps, limit.take(c), 'lookup/'));
  app.get('/lookup/', (c) => lookupForm(c, deps, limit.take(c), './'));
  return app;
}

/** The search box's answer: a redirect to the address's page, or the box alone. */
async function lookupForm(c: Context, deps: ServeDeps, wait: number, base: string): Promise<Response> {
  const limited = await tooMany(c, deps, wait);
  if (limited) return limited;
  const ip = c.req.query('ip')?.trim();
  if (ip) return c.redirect(`${base}${pathSafe(ip)}`, 303);
  return sendPage(c, messagePage(deps.descriptor(), 'Look up an address', 'Which address? Give one IPv4 or IPv6 address.', { tone: 'clear', search: true }));
}

/** 429 with Retry-After when the client is over its bound; undefined when it may go on. */
export async function tooMany(c: Context, deps: ServeDeps, wait: number): Promise<Response | undefined> {
  if (wait === 0) return undefined;
  c.header('retry-after', String(wait));
  const text = `Too many requests from your address: at most ${deps.config.serve.publicLookupsPerMinute} a minute. Try again in ${wait} s.`;
  return sendPage(c, messagePage(deps.descriptor(), 'Too many requests', text), 429);
}
