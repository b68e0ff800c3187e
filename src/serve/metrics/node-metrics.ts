import type { Logger } from 'pino';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { IngestObserver } from '../../core/ingest-observer.js';
import type { Store } from '../../store/open-store.js';
import { DnsQueryCounts } from '../dnsbl/dns-query-counts.js';
import { ZoneTransferCounts } from '../dnsbl/zone-counts.js';
import { registerZoneCounters } from './zone-metrics.js';
import { HttpMetrics } from './http-metrics.js';
import { registerStateGauges, type StateSources } from './state-gauges.js';
import { registerDnsCounter } from './dns-metrics.js';
import { PartnerAccessCounter } from './partner-access-counter.js';
import { SubscriberUsageCounter } from './subscriber-usage.js';

export interface NodeMetricsOptions extends StateSources {
  readonly store: Store;
  readonly log: Logger;
}

/** Pull durations: a pull with nothing new takes tens of ms, a 1M-entry history minutes. */
const PULL_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
/** Per batch: a small batch verifies in well under a millisecond, a 24 MB one in about 50 ms. */
const BATCH_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The node's Prometheus metrics (PROTOCOL "Additions: console", `GET /metrics`), each named
 * `spamx_…`, in a registry of its own (never prom-client's global one, so two nodes in one
 * process keep theirs apart). Labels are of bounded cardinality only: peer, outcome or refusal
 * code, route template, method, status, DNS answer and transport; never an address or a key.
 * Events are counted where they happen (ingest through `observer`, the HTTP server through
 * `http`, the DNSBL through `dns`); state (list size, change-log position, witnessing, origin
 * data age) is read when scraped, from memory or a few small indexed reads per peer.
 */
export class NodeMetrics {
  readonly registry = new Registry();
  readonly dns = new DnsQueryCounts();
  /** Zone transfers to DNS secondaries and NOTIFY (serve/dnsbl/zone-transfer.ts, zone-notify.ts). */
  readonly zone = new ZoneTransferCounts();
  readonly http: HttpMetrics;
  readonly usage: SubscriberUsageCounter;
  /** Requests to the batch routes per partner and outcome, for the operator's views. */
  readonly partnerAccess: PartnerAccessCounter;
  readonly observer: IngestObserver;
  /** A federation request refused (serve/partner-access.ts), by its code: five values at most. */
  readonly federationRefused: (code: string) => void;
  private defaultsOn = false;

  constructor(options: NodeMetricsOptions) {
    const registers = [this.registry];
    const pulls = new Counter({ name: 'spamx_pulls_total', help: 'Pulls of a peer by outcome: ok, or the SpamxError code that ended the pull', labelNames: ['peer', 'outcome'], registers });
    const pullSeconds = new Histogram({ name: 'spamx_pull_duration_seconds', help: 'Duration of each pull of a peer, whatever its outcome', labelNames: ['peer'], buckets: PULL_BUCKETS, registers });
    const verifySeconds = new Histogram({ name: 'spamx_batch_verify_duration_seconds', help: "A pulled batch's JWS checks and signature verification, on the feed-reader thread", labelNames: ['peer'], buckets: BATCH_BUCKETS, registers });
    const applySeconds = new Histogram({ name: 'spamx_batch_apply_duration_seconds', help: "A pulled batch from its signature verified to its commit: payload decoded and checked, entries merged", labelNames: ['peer'], buckets: BATCH_BUCKETS, registers });
    const applied = new Counter({ name: 'spamx_entries_applied_total', help: 'Entries of pulled batches merged into the store, by op (list, delist)', labelNames: ['peer', 'op'], registers });
    const refused = new Counter({ name: 'spamx_entries_refused_total', help: 'Entries of pulled batches refused, by refusal code', labelNames: ['peer', 'code'], registers });
    const federationRefused = new Counter({ name: 'spamx_federation_refused_total', help: 'Batch downloads refused, by code: SIGNATURE_* under federation.access "partners", BATCH_WITHHELD for a label or recipients that exclude the requester', labelNames: ['code'], registers });
    this.federationRefused = (code) => federationRefused.inc({ code });
    this.observer = {
      pullEnded: (report) => {
        pulls.inc({ peer: report.peer, outcome: report.error?.code ?? 'ok' });
        pullSeconds.observe({ peer: report.peer }, report.durationMs / 1000);
      },
      batchVerified: (peer, ms) => verifySeconds.observe({ peer }, ms / 1000),
      batchApplied: (peer, ms, outcome, codes) => {
        applySeconds.observe({ peer }, ms / 1000);
        if (outcome.listed > 0) applied.inc({ peer, op: 'list' }, outcome.listed);
        if (outcome.delisted > 0) applied.inc({ peer, op: 'delist' }, outcome.delisted);
        for (const [code, n] of codes) refused.inc({ peer, code }, n);
      },
    };
    this.http = new HttpMetrics(this.registry);
    registerDnsCounter(this.registry, this.dns);
    registerZoneCounters(this.registry, this.zone);
    registerStateGauges(this.registry, options);
    this.usage = new SubscriberUsageCounter(options.store, options.clock, options.log);
    this.partnerAccess = new PartnerAccessCounter(options.store, options.log);
  }

  /**
   * Adds prom-client's process metrics (CPU, memory, heap, event loop lag, handles), prefixed
   * `spamx_`: only for a serving node, whose event loop they watch.
   */
  start(): void {
    if (!this.defaultsOn) {
      collectDefaultMetrics({ register: this.registry, prefix: 'spamx_' });
      // Gauges named like counters, which `promtool check metrics` rejects (a `_total` suffix is
      // for counters only); the handles they count are in the process metrics' file descriptors.
      for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(`spamx_${name}`);
    }
    this.defaultsOn = true;
    this.usage.start();
    this.partnerAccess.start();
  }

  /** Writes the subscriber usage and partner access counted since the last flush and stops their timers. */
  stop(): void {
    this.usage.stop();
    this.partnerAccess.stop();
  }

  /** The text exposition format (version 0.0.4). */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
