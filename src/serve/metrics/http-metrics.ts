import type { Registry } from 'prom-client';
import { PlainCounter, PlainHistogram, type CounterSlot, type HistogramSlot } from './plain-metrics.js';

/** From a cached lookup (a fraction of a millisecond) to a streamed blocklist (minutes). */
const HTTP_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

interface RouteSlots {
  readonly duration: HistogramSlot;
  /** By method, then status: no string is made per request. */
  readonly requests: Map<string, Map<number, CounterSlot>>;
  limited: CounterSlot | undefined;
}

/**
 * HTTP requests by route template (`/v1/lookup/:ip`, never the path itself), method and status,
 * their durations, and subscribers' 429s by route. Recorded once per request when its response
 * ends (access-log.ts): a Map probe for the route, its method and its status, then two adds.
 */
export class HttpMetrics {
  private readonly routes = new Map<string, RouteSlots>();
  private readonly requests: PlainCounter;
  private readonly duration: PlainHistogram;
  private readonly limitedCounter: PlainCounter;

  constructor(registry: Registry) {
    this.requests = new PlainCounter(registry, 'spamx_http_requests_total', 'HTTP requests by route template, method and status');
    this.duration = new PlainHistogram(registry, 'spamx_http_request_duration_seconds', 'HTTP requests from their start to the end of their response, by route template', HTTP_BUCKETS);
    this.limitedCounter = new PlainCounter(registry, 'spamx_subscriber_rate_limited_total', "Subscriber requests refused with 429 for being over the key's rate limit, by route template");
  }

  record(route: string, method: string, status: number, seconds: number): void {
    const slots = this.slotsOf(route);
    slots.duration.observe(seconds);
    let byStatus = slots.requests.get(method);
    if (!byStatus) slots.requests.set(method, (byStatus = new Map()));
    let counter = byStatus.get(status);
    if (!counter) byStatus.set(status, (counter = this.requests.slot(`${route} ${method} ${status}`, () => ({ route, method, status: String(status) }))));
    counter.value++;
  }

  /** A subscriber's request on `route` refused with 429 (over its rate limit). */
  limited(route: string): void {
    const slots = this.slotsOf(route);
    slots.limited ??= this.limitedCounter.slot(route, () => ({ route }));
    slots.limited.value++;
  }

  private slotsOf(route: string): RouteSlots {
    let slots = this.routes.get(route);
    if (!slots) this.routes.set(route, (slots = { duration: this.duration.slot(route, () => ({ route })), requests: new Map(), limited: undefined }));
    return slots;
  }
}
