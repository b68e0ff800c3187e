import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { SpamxError } from '../core/errors.js';
import { canonicalAddress, type RemovalRequest } from '../core/removal-request.js';
import { formatTimestamp, parseTimestamp } from '../core/time.js';
import { insertRemovalRequest, listRemovalRequests } from '../store/removal-request-store.js';
import { clientOf } from './client-address.js';
import type { ServeDeps } from './deps.js';
import { operatorAuth } from './operator-auth.js';
import { tooMany } from './public-lookup/lookup-routes.js';
import { lookupLinkFromApi, messagePage } from './public-lookup/message-page.js';
import { publicLimit } from './public-lookup/public-limit.js';
import { sendPage } from './public-lookup/public-page.js';
import { EVERYONE_VIEW } from '../read/lookup-answer.js';

/*
 * Removal requests (PROTOCOL "Additions: console"). `POST /v1/removal-requests` is public: JSON
 * `{"address","contact","message"}` → 202 `{"id"}`, or the lookup page's plain HTML form
 * (application/x-www-form-urlencoded, no script needed) → 202 and a page naming the id. A
 * request is only stored: the operator accepts (a delist is queued) or rejects it with `spamx
 * requests` or the dashboard. `GET /v1/removal-requests` lists them for the operator.
 */

/** RFC 5321 §4.5.3.1: a mailbox is at most 254 octets in a path; the shape as subscriber contacts. */
const EMAIL = /^[^\s@<>,;"]{1,64}@[^\s@<>,;"]{1,190}\.[^\s@<>,;".]{1,63}$/;
/** Control characters other than tab, line feed and carriage return: nothing a person types in a message. */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

interface Fields {
  readonly address: string;
  readonly contact: string;
  readonly message: string;
}

/** A field that is not as it must be: which one, and how to fix it (400, JSON or page). */
class FieldError extends Error {
  constructor(
    readonly field: keyof Fields | 'body',
    message: string,
    /** The address sent, when it was one: the page links back to it. */
    readonly address?: string,
  ) {
    super(message);
  }
}

export function removalRoutes(deps: ServeDeps): Hono {
  const app = new Hono();
  const limit = publicLimit(deps);
  const { maxMessageChars } = deps.config.removals;
  // Percent-encoding makes a character of a form field up to 12 bytes (a 4-byte UTF-8 sequence, %XX each).
  const maxBytes = 16_384 + maxMessageChars * 12;

  app.post(
    '/v1/removal-requests',
    bodyLimit({ maxSize: maxBytes, onError: () => { throw new SpamxError('PAYLOAD_TOO_LARGE', `a removal request is at most ${maxBytes} bytes`); } }),
    async (c) => {
      const form = !(c.req.header('content-type') ?? '').toLowerCase().startsWith('application/json');
      const wait = limit.take(c);
      if (wait > 0) {
        if (form) return (await tooMany(c, deps, wait))!;
        c.header('retry-after', String(wait));
        throw new SpamxError('RATE_LIMITED', `too many requests from this address: at most ${deps.config.serve.publicLookupsPerMinute} a minute`);
      }
      let fields: Fields;
      try {
        fields = await readFields(c, maxMessageChars);
        // As the public lookup page sees it: a listing labelled beyond green is not shown to listed parties.
        if (!deps.actions.lookup(fields.address, EVERYONE_VIEW).listed) {
          throw new FieldError('address', `${fields.address} is not listed by this node: there is nothing to remove`, fields.address);
        }
      } catch (err) {
        if (!(err instanceof FieldError)) throw err;
        if (!form) return c.json({ error: { code: 'BAD_REQUEST', field: err.field, message: err.message } }, 400);
        return sendPage(c, messagePage(deps.descriptor(), 'Request not sent', err.message, { back: err.address === undefined ? undefined : lookupLinkFromApi(err.address) }), 400);
      }
      const now = deps.clock();
      const outcome = insertRemovalRequest(deps.store, { ...fields, client: clientOf(c) }, now, deps.config.removals);
      if (outcome.kind === 'limited') {
        if (outcome.retryAt !== null) c.header('retry-after', String(Math.max(1, Math.ceil((outcome.retryAt - now) / 1000))));
        else c.header('retry-after', '86400');
        if (!form) throw new SpamxError('RATE_LIMITED', outcome.reason);
        return sendPage(c, messagePage(deps.descriptor(), 'Request not sent', `${outcome.reason}.`, { back: lookupLinkFromApi(fields.address) }), 429);
      }
      const { id } = outcome.request;
      if (!form) return c.json({ id }, 202);
      const text =
        outcome.kind === 'created'
          ? `Request received, id ${id}. The operator will read it; this node withdraws a listing only once they accept. Keep the id to refer to your request.`
          : `Your earlier request about ${fields.address} is still open, id ${id}: the operator will read it. Nothing new was stored.`;
      return sendPage(c, messagePage(deps.descriptor(), 'Request received', text, { tone: 'clear', back: lookupLinkFromApi(fields.address) }), 202);
    },
  );

  app.get('/v1/removal-requests', operatorAuth(deps), (c) => {
    const status = c.req.query('status');
    if (status !== undefined && status !== 'open' && status !== 'accepted' && status !== 'rejected') {
      throw new SpamxError('BAD_REQUEST', `status must be open, accepted or rejected, not "${status}"`);
    }
    const limitText = c.req.query('limit') ?? '100';
    if (!/^\d{1,5}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > 10_000) {
      throw new SpamxError('BAD_REQUEST', `limit must be a whole number from 1 to 10000, not "${limitText}"`);
    }
    const beforeText = c.req.query('before');
    const before = beforeText === undefined ? undefined : parseTimestamp(beforeText);
    if (beforeText !== undefined && before === undefined) {
      throw new SpamxError('BAD_REQUEST', `before must be an RFC 3339 UTC time like 2026-11-23T18:59:22Z (a request's createdAt, to page back), not "${beforeText}"`);
    }
    const requests = listRemovalRequests(deps.store, { status, limit: Number(limitText), before });
    return c.json({ requests: requests.map(removalRequestJson) });
  });
  return app;
}

/** A request as the API shows it: times RFC 3339 (PROTOCOL "Batch": UTC with Z). */
export function removalRequestJson(r: RemovalRequest) {
  return { ...r, createdAt: formatTimestamp(r.createdAt), decidedAt: r.decidedAt === null ? null : formatTimestamp(r.decidedAt) };
}

/** The body's fields, from JSON or a form; each one checked, the first wrong one thrown. */
async function readFields(c: Context, maxMessageChars: number): Promise<Fields> {
  const type = (c.req.header('content-type') ?? '').toLowerCase();
  let raw: Record<string, unknown>;
  if (type.startsWith('application/json')) {
    try {
      raw = JSON.parse(await c.req.text()) as Record<string, unknown>;
    } catch {
      throw new FieldError('body', 'the body is not JSON; send {"address","contact","message"}');
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new FieldError('body', 'the body must be one JSON object {"address","contact","message"}');
  } else if (type.startsWith('application/x-www-form-urlencoded')) {
    raw = Object.fromEntries(new URLSearchParams(await c.req.text()));
  } else {
    throw new FieldError('body', 'send application/json ({"address","contact","message"}) or an HTML form (application/x-www-form-urlencoded)');
  }
  const address = typeof raw.address === 'string' ? canonicalAddress(raw.address) : undefined;
  if (address === undefined) {
    throw new FieldError('address', `address must be one IP address, like 61.4.12.7 or 2400:cb00::1 (no prefix length)${typeof raw.address === 'string' ? `, not "${clip(raw.address)}"` : ''}`);
  }
  const contact = typeof raw.contact === 'string' ? raw.contact.trim() : '';
  if (contact.length > 254 || !EMAIL.test(contact)) {
    throw new FieldError('contact', `contact must be an e-mail address the operator can answer, like postmaster@your-domain${contact ? `, not "${clip(contact)}"` : ''}`, address);
  }
  if (raw.message !== undefined && typeof raw.message !== 'string') throw new FieldError('message', 'message must be text', address);
  const message = ((raw.message as string | undefined) ?? '').replace(/\r\n?/g, '\n').trim();
  // Counted as a form's maxlength counts (UTF-16 code units), so what the page lets through passes.
  if (message.length > maxMessageChars) {
    throw new FieldError('message', `message is ${message.length} characters; shorten it to at most ${maxMessageChars}`, address);
  }
  if (CONTROL.test(message)) throw new FieldError('message', 'message may hold text, tabs and line breaks only, no other control characters', address);
  return { address, contact, message };
}

const clip = (text: string) => (text.length > 64 ? `${text.slice(0, 64)}…` : text);

