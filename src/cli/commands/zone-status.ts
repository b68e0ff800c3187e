import { printable } from '../../core/printable.js';
import type { StatusReport } from '../../store/status-report.js';

/** `spamx status`'s lines for the DNSBL zone's secondaries: last serial acknowledged, last transfer, refusals. */
export function secondaryLines(secondaries: StatusReport['dnsSecondaries']): string[] {
  if (secondaries.length === 0) return [];
  return [
    `  DNS secondaries: ${secondaries.length}`,
    ...secondaries.map(
      (z) =>
        `    ${printable(z.secondary)}: serial ${z.lastSerial ?? '-'}` +
        (z.lastAckAt ? `, NOTIFY acknowledged ${z.lastAckAt}` : '') +
        (z.lastTransferAt ? `, last transfer ${z.lastTransferKind} ${z.lastTransferAt}` : ', no transfer yet') +
        (z.refused ? `, ${z.refused} refused` : '') +
        (z.lastError ? `\n      last error at ${z.lastError.at}: ${printable(z.lastError.message)}` : ''),
    ),
  ];
}
