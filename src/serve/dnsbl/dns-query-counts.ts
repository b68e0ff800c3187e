/** What a DNSBL answer said, as the metrics name it (src/serve/metrics/node-metrics.ts). */
export const DNS_ANSWERS = ['listed', 'not_listed', 'nodata', 'refused', 'formerr', 'other', 'dropped'] as const;
export const DNS_TRANSPORTS = ['udp', 'tcp'] as const;

const RCODE_FORMERR = 1;
const RCODE_NXDOMAIN = 3;
const RCODE_REFUSED = 5;

/**
 * Queries answered per answer and transport, as plain numbers: counting costs a DNS query two
 * byte reads and an array increment, and the metrics read the array only when scraped. The
 * answer is read off the response's header (RFC 1035 §4.1.1): NOERROR with answers is listed;
 * NXDOMAIN is not listed (RFC 5782 §2.1: how a DNSBL says an address is not on it); NOERROR
 * without answers is NODATA (the apex, a name above addresses, another type, a truncated reply).
 */
export class DnsQueryCounts {
  /** [transport × answers + answer] */
  readonly counts = new Float64Array(DNS_TRANSPORTS.length * DNS_ANSWERS.length);

  count(response: Buffer | undefined, transport: 'udp' | 'tcp'): void {
    this.counts[(transport === 'udp' ? 0 : DNS_ANSWERS.length) + answerOf(response)]!++;
  }
}

function answerOf(response: Buffer | undefined): number {
  if (response === undefined || response.length < 12) return 6;
  const rcode = response[3]! & 0x0f;
  if (rcode === 0) return response[6]! | response[7]! ? 0 : 2;
  if (rcode === RCODE_NXDOMAIN) return 1;
  if (rcode === RCODE_REFUSED) return 3;
  if (rcode === RCODE_FORMERR) return 4;
  return 5;
}
