import { printable } from '../../core/printable.js';
import { formatTimestamp } from '../../core/time.js';
import type { federationStatus } from '../../store/partner-access-store.js';
import { listRefusals } from '../../store/refusal-store.js';
import { dataDir, intOption, type DataOptions, type JsonOptions } from '../args.js';
import { mirrorLines } from './mirror-status.js';
import { secondaryLines } from './zone-status.js';
import { withNode } from './open-node.js';

/** `spamx status`: own feed, each peer's last pull, store and refusal counts. */
export async function status(o: DataOptions & JsonOptions): Promise<number> {
  return withNode(dataDir(o.data), async (node) => {
    const s = node.status();
    if (o.json) {
      process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
      return 0;
    }
    const lines = [
      `node ${s.id} at ${s.url}`,
      `  key id: ${s.kid}`,
      `  checkpoint key: ${s.checkpointKey}`,
      `  own feed: ${s.feed.size} batches, head ${s.feed.head ?? '-'}, ${s.feed.queuedReports} reports queued`,
      `  store: ${s.store.listedPrefixes} listed prefixes, ${s.store.activeListings} active listings, ` +
        `${s.store.expiredListings} expired, ${s.store.delistedListings} delisted`,
      `  refusals: ${s.store.refusals.total}` +
        Object.entries(s.store.refusals.byPublisher)
          .map(([p, codes]) => `\n    ${p}: ${Object.entries(codes).map(([c, n]) => `${c}=${n}`).join(' ')}`)
          .join(''),
      `  origin data: ${s.origins.map((d) => `${d.name} (${d.date}, sha256 ${d.sha256.slice(0, 16)}…)`).join('; ') || 'none'}`,
      `  peers: ${s.peers.length}`,
      ...s.peers.map(
        (p) =>
          `    ${p.id}: seq ${p.seq}, last success ${p.lastSuccessAt ?? 'never'}` +
          (p.lastError ? `, last error ${p.lastError.code} at ${p.lastError.at}: ${printable(String(p.lastError.message))}` : '') +
          (p.consecutiveFailures ? `, ${p.consecutiveFailures} failures, next try ${p.nextAttemptAt}` : '') +
          `\n      witnessed: trusted size ${p.witness.trustedSize}` +
          (p.witness.witnessed ? `, quorum ${p.witness.witnessed.quorum} reached at size ${p.witness.witnessed.size} (${p.witness.witnessed.at})` : ', no quorum yet') +
          (p.witness.stale ? ', STALE' : '') +
          (p.witness.frozen ? `\n      FROZEN since ${p.witness.frozen.at}: ${printable(String(p.witness.frozen.reason))}` : ''),
      ),
      ...federationLines(s.federation),
      ...mirrorLines(s.mirrors),
      ...secondaryLines(s.dnsSecondaries),
      ...(s.alarms.length ? [`  ALARMS: ${s.alarms.length}`, ...s.alarms.map((a) => `    ${a.at} ${a.publisher} ${a.kind}: ${printable(String(a.detail))}`)] : []),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  });
}

/** Who may download batches, each requester's signed requests and refusals, and what was sealed to whom. */
function federationLines(f: ReturnType<typeof federationStatus>): string[] {
  const sealedTo = Object.entries(f.sealed.byRecipient).map(([id, n]) => `${id} ${n}`);
  return [
    `  federation access: ${f.access}; sealed batches: ${f.sealed.batches}${sealedTo.length ? ` (to ${sealedTo.join(', ')})` : ''}`,
    ...f.requesters.map(
      (r) =>
        `    ${printable(r.partner)}: ${r.signed} signed requests served` +
        (r.lastSignedAt ? `, last ${r.lastSignedAt}` : '') +
        (r.refused ? `; ${r.refused} refused, last ${r.lastRefusalCode} at ${r.lastRefusedAt}` : ''),
    ),
  ];
}

export interface RefusalsOptions extends DataOptions, JsonOptions {
  readonly publisher?: string;
  readonly code?: string;
  readonly limit?: string;
}

/** `spamx refusals`: entries and report lines this node declined, newest first. */
export async function refusals(o: RefusalsOptions): Promise<number> {
  const limit = intOption(o.limit, '--limit', 1, 1_000_000) ?? 100;
  return withNode(dataDir(o.data), async (node) => {
    const rows = listRefusals(node.store, { publisher: o.publisher, code: o.code, limit });
    if (o.json) process.stdout.write(`${JSON.stringify(rows.map((r) => ({ ...r, at: formatTimestamp(r.at) })), null, 2)}\n`);
    for (const r of o.json ? [] : rows) {
      const where = r.seq === null ? 'local report' : `seq ${r.seq} entry ${r.entryIndex}`;
      // A refused prefix and its reason quote what a peer or a report sent: escaped for the terminal.
      process.stdout.write(`${formatTimestamp(r.at)}\t${r.publisher}\t${where}\t${printable(r.prefix ?? '-')}\t${r.code}\t${printable(r.reason)}\n`);
    }
    return 0;
  });
}
