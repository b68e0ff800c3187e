import type { HttpBindings } from '@hono/node-server';
import type { Context, MiddlewareHandler } from 'hono';
import { SpamxError } from '../core/errors.js';
import { FailureLimiter } from '../core/failure-limiter.js';
import { clientOf } from './client-address.js';
import { subscriberByKey, subscribersRevision, type Subscriber } from '../store/subscriber-store.js';
import type { Store } from '../store/open-store.js';

export interface SubscriberAccessOptions {
  readonly store: Store;
  readonly public: boolean;
  readonly ratePerMinute: number;
  /** Wrong keys one client address may send a minute (and at once) before it gets 429. */
  readonly failedAuthPerMinute: number;
  /** Most client addresses whose failures are counted at once (memory bound). */
  readonly failedAuthClients: number;
  readonly clock: () => number;
  /** Counts each subscriber's requests and 429s (the `subscriber_usage` table). */
  readonly usage?: { request(id: number, now: number): void; limited(id: number, now: number): void };
}

/** What a request is allowed as: a subscriber (by key) or, on a public node, anyone. */
export type Caller = { readonly kind: 'subscriber'; readonly subscriber: Subscriber } | { readonly kind: 'public' };

const PUBLIC: Caller = { kind: 'public' };

/**
 * The subscriber a request used, kept on node's request object for the access log
 * (access-log.ts): a property under a symbol of this module, so nothing else can set it.
 */
const SUBSCRIBER = Symbol('spamx subscriber');
type MarkedRequest = { [SUBSCRIBER]?: Subscriber };

/** The subscriber whose key a request used (known once admitted or refused 429), else undefined. */
export function subscriberOf(incoming: object): Subscriber | undefined {
  return (incoming as MarkedRequest)[SUBSCRIBER];
}

/**
 * Subscriber endpoints: an API key in `Authorization: Bearer` or `X-Api-Key` (the header
 * CrowdSec bouncers send), looked up by its hash; a per-key token bucket answering 429 with
 * Retry-After. Without a key, only a node configured public answers. The operator token is not
 * a subscriber key: the two rights are separate.
 *
 * Keys looked up are remembered until the subscribers change (`subscribersRevision`, checked on
 * every request), so a revoked key is refused on the very next request. Unknown keys are not
 * remembered; instead each wrong key counts against the client's address (an IPv6 client's
 * /64, which one host commonly holds whole), and an address past its limit gets 429 before any
 * key it sends is looked up.
 *
 * `admit` is the check itself, synchronous: it returns the caller or throws the SpamxError to
 * answer. `middleware` runs it in front of a route. The lookup route calls `admit` from its one
 * handler instead, because hono runs a route with a single handler without its middleware
 * chain, and on the busiest endpoint that chain was a measurable share of a request.
 */
export interface SubscriberAccess {
  admit(c: Context): Caller;
  readonly middleware: MiddlewareHandler<{ Variables: { caller: Caller } }>;
}

export function subscriberAccess(options: SubscriberAccessOptions): SubscriberAccess {
  const known = new Map<string, Subscriber>();
  const revision = subscribersRevision(options.store);
  let seen = revision();
  const failures = new FailureLimiter(options.failedAuthPerMinute, options.failedAuthPerMinute, options.failedAuthClients);
  const buckets = new Map<number, { tokens: number; at: number }>();
  const capacity = options.ratePerMinute;
  const refillPerMs = options.ratePerMinute / 60_000;
  const { usage } = options;
  const admit = (c: Context): Caller => {
    // Node's parsed headers when served by @hono/node-server (a property read, on every lookup),
    // the Fetch API's otherwise.
    const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming;
    const raw = incoming?.headers;
    const auth = raw ? raw.authorization : c.req.header('authorization');
    const apiKey = raw ? (raw['x-api-key'] as string | undefined) : c.req.header('x-api-key');
    const key = apiKey ?? (auth?.startsWith('Bearer ') ? auth.slice(7).trim() : undefined);
    if (!key) {
      if (!options.public) throw new SpamxError('UNAUTHORIZED', 'this endpoint needs a subscriber API key (Authorization: Bearer or X-Api-Key)');
      return PUBLIC;
    }
    const now = options.clock();
    // Nothing to look up while no address has failed: the common case costs one size check.
    const client = failures.size === 0 ? '' : clientOf(c);
    const wait = failures.size === 0 ? 0 : failures.retryAfter(client, now);
    if (wait > 0) {
      c.header('retry-after', String(wait));
      throw new SpamxError('RATE_LIMITED', 'too many wrong subscriber API keys from this address');
    }
    const current = revision();
    if (current !== seen) {
      known.clear();
      seen = current;
    }
    let subscriber = known.get(key);
    if (!subscriber) {
      subscriber = subscriberByKey(options.store, key);
      if (!subscriber) {
        failures.fail(client || clientOf(c), now);
        throw new SpamxError('UNAUTHORIZED', 'unknown or revoked subscriber API key');
      }
      if (known.size >= 10_000) known.clear();
      known.set(key, subscriber);
    }
    const bucket = buckets.get(subscriber.id) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + (now - bucket.at) * refillPerMs);
    bucket.at = now;
    buckets.set(subscriber.id, bucket);
    if (incoming) (incoming as MarkedRequest)[SUBSCRIBER] = subscriber;
    if (bucket.tokens < 1) {
      usage?.limited(subscriber.id, now);
      c.header('retry-after', String(Math.max(1, Math.ceil((1 - bucket.tokens) / refillPerMs / 1000))));
      throw new SpamxError('RATE_LIMITED', `subscriber ${subscriber.name} is over ${capacity} requests per minute`);
    }
    bucket.tokens -= 1;
    usage?.request(subscriber.id, now);
    return { kind: 'subscriber', subscriber };
  };
  return {
    admit,
    middleware: async (c, next) => {
      c.set('caller', admit(c));
      return next();
    },
  };
}
