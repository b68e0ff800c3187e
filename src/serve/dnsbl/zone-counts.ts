/** Zone transfer and NOTIFY events, as plain counters read by the metrics when scraped (serve/metrics/zone-metrics.ts). */
export const TRANSFER_KINDS = ['AXFR', 'IXFR'] as const;
/** `full`: an IXFR answered with the whole zone (RFC 1995 §4); `current`: the client was up to date. */
export const TRANSFER_OUTCOMES = ['ok', 'full', 'current', 'failed'] as const;
export const REFUSAL_REASONS = ['not_allowed', 'tsig'] as const;

export class ZoneTransferCounts {
  /** [kind × outcomes + outcome] */
  readonly transfers = new Float64Array(TRANSFER_KINDS.length * TRANSFER_OUTCOMES.length);
  readonly refusals = new Float64Array(REFUSAL_REASONS.length);
  notifySent = 0;
  notifyAcked = 0;

  transfer(kind: (typeof TRANSFER_KINDS)[number], outcome: (typeof TRANSFER_OUTCOMES)[number]): void {
    this.transfers[TRANSFER_KINDS.indexOf(kind) * TRANSFER_OUTCOMES.length + TRANSFER_OUTCOMES.indexOf(outcome)]!++;
  }

  refused(reason: (typeof REFUSAL_REASONS)[number]): void {
    this.refusals[REFUSAL_REASONS.indexOf(reason)]!++;
  }
}
