import type { Registry } from 'prom-client';
import { DNS_ANSWERS, DNS_TRANSPORTS, type DnsQueryCounts } from '../dnsbl/dns-query-counts.js';

/**
 * `spamx_dnsbl_queries_total{answer,transport}`, read from the DNSBL's plain counts when scraped
 * (dns-query-counts.ts): the query path itself never touches prom-client.
 */
export function registerDnsCounter(registry: Registry, counts: DnsQueryCounts): void {
  const name = 'spamx_dnsbl_queries_total';
  const help = 'DNSBL queries by answer (listed, not_listed = NXDOMAIN, nodata, refused, formerr, other, dropped) and transport';
  registry.registerMetric({
    name,
    get: () => ({
      name,
      help,
      type: 'counter',
      aggregator: 'sum',
      values: DNS_TRANSPORTS.flatMap((transport, t) =>
        DNS_ANSWERS.map((answer, a) => ({ labels: { answer, transport }, value: counts.counts[t * DNS_ANSWERS.length + a]! })),
      ),
    }),
  } as never);
}
