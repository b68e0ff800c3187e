import type { HttpBindings, serve } from '@hono/node-server';
import type { Hono } from 'hono';
import type { Logger } from 'pino';
import type { Result } from 'hono/router';
import type { H, RouterRoute } from 'hono/types';
import type { HttpMetrics } from './metrics/http-metrics.js';
import { subscriberOf } from './subscriber-access.js';

type Fetch = Parameters<typeof serve>[0]['fetch'];

export interface RequestObserverOptions {
  /** Where the access log goes; undefined for none (`serve.accessLog: false`). */
  readonly log: Logger | undefined;
  readonly http: HttpMetrics;
}

/** The route label of a request no route matched (the 404 of an unknown path). */
const UNMATCHED = 'unmatched';

/** What hono's router answered for a request: its handlers, each with the route it belongs to. */
type Matched = Result<[H, RouterRoute]>;

/**
 * The app's fetch with the access log and the HTTP metrics around it, hooked at the node's
 * HTTP level: the request's start is noted, and when its response closes (sent whole, or cut)
 * one pino line is logged — method, route template, status, duration in ms, the subscriber's
 * name when a key was used (never the key), the client's address — and the request is counted.
 * Not a hono middleware: hono runs a route with one handler without its middleware chain,
 * which the lookup route relies on for its speed (subscriber-access.ts), and one middleware for
 * every route would put the chain back in front of it.
 *
 * The route template is the one hono itself matched: its router's answer is kept as hono asks
 * for it (synchronously, at the start of `app.fetch`), and read when the response closes.
 * Routing every request a second time, and a closure per request, cost about 2 µs of CPU on a
 * lookup (test/bench/README.md, "Metrics and the access log").
 */
export function observeRequests(app: Hono, options: RequestObserverOptions): Fetch {
  const { log, http } = options;
  const router = app.router;
  // hono's SmartRouter settles on one router at its first match and replaces its own `match`
  // then: asked once here, so that the wrapper below is not replaced in turn.
  router.match('GET', '/');
  const match = router.match.bind(router);
  let matched: Matched | undefined;
  router.match = (method, path) => (matched = match(method, path));
  function finished(this: HttpBindings['outgoing']): void {
    const { [STARTED]: started, [ROUTES]: routes, req: incoming } = this as Observed;
    const ms = performance.now() - started;
    const method = incoming.method ?? 'GET';
    const route = templateOf(routes);
    const status = this.statusCode;
    const subscriber = subscriberOf(incoming);
    http.record(route, method, status, ms / 1000);
    if (status === 429 && subscriber !== undefined) http.limited(route);
    if (log) {
      const line = {
        method,
        route,
        status,
        ms: Math.round(ms * 10) / 10,
        ...(subscriber !== undefined ? { subscriber: subscriber.name } : {}),
        client: incoming.socket?.remoteAddress,
        ...(this.writableFinished ? {} : { aborted: true }),
      };
      log.info(line, 'request');
    }
  }
  return (request, env) => {
    // HTTP/1.1 (the node serves no HTTP/2): node's response, which knows its request.
    const outgoing = (env as HttpBindings).outgoing as Observed;
    outgoing[STARTED] = performance.now();
    matched = undefined;
    const response = app.fetch(request, env);
    outgoing[ROUTES] = matched;
    // One listener function for all responses, its state on the response: no closure per request.
    outgoing.on('close', finished);
    return response;
  };
}

const STARTED = Symbol('spamx request start');
const ROUTES = Symbol('spamx request routes');
/** A response being observed: when its request started, and the routes hono matched for it. */
type Observed = HttpBindings['outgoing'] & { [STARTED]: number; [ROUTES]: Matched | undefined };

/**
 * The template of the first route that is not middleware (an `ALL` route ending in `*`, as
 * `app.use` makes) among those hono matched: the handler that answers, as hono runs them in order.
 */
export function templateOf(matched: Matched | undefined): string {
  for (const [[, route]] of matched?.[0] ?? []) {
    if (route.method !== 'ALL' || !route.path.endsWith('*')) return route.path;
  }
  return UNMATCHED;
}
