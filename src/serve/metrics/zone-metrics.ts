import type { Registry } from 'prom-client';
import { REFUSAL_REASONS, TRANSFER_KINDS, TRANSFER_OUTCOMES, type ZoneTransferCounts } from '../dnsbl/zone-counts.js';

/**
 * `spamx_zone_transfers_total{kind,outcome}`, `spamx_zone_transfers_refused_total{reason}`,
 * `spamx_zone_notify_sent_total` and `spamx_zone_notify_acked_total`, read from the DNSBL's
 * plain counters (serve/dnsbl/zone-counts.ts) when scraped.
 */
export function registerZoneCounters(registry: Registry, counts: ZoneTransferCounts): void {
  const metric = (name: string, help: string, values: () => { labels: Record<string, string>; value: number }[]) =>
    registry.registerMetric({ name, get: () => ({ name, help, type: 'counter', aggregator: 'sum', values: values() }) } as never);
  metric('spamx_zone_transfers_total', 'Zone transfers served to DNS secondaries by kind (AXFR, IXFR) and outcome (ok, full = IXFR answered with the whole zone, current = already up to date, failed)', () =>
    TRANSFER_KINDS.flatMap((kind, k) => TRANSFER_OUTCOMES.map((outcome, o) => ({ labels: { kind, outcome }, value: counts.transfers[k * TRANSFER_OUTCOMES.length + o]! }))),
  );
  metric('spamx_zone_transfers_refused_total', 'Zone transfers refused, by reason (not_allowed: address not in dnsbl.transfer.allow and no TSIG; tsig: a TSIG that did not verify)', () =>
    REFUSAL_REASONS.map((reason, r) => ({ labels: { reason }, value: counts.refusals[r]! })),
  );
  metric('spamx_zone_notify_sent_total', 'NOTIFY messages sent to DNS secondaries (RFC 1996), retries included', () => [{ labels: {}, value: counts.notifySent }]);
  metric('spamx_zone_notify_acked_total', 'NOTIFY messages answered by DNS secondaries', () => [{ labels: {}, value: counts.notifyAcked }]);
}
