import { SpamxError } from '../../core/errors.js';
import type { PullReport } from '../../core/pull-report.js';
import { dataDir, type DataOptions, type JsonOptions } from '../args.js';
import { withNode } from './open-node.js';

/**
 * `spamx pull [PEER]`: pull one peer, or every pinned peer, now (backoff is not applied). With
 * no peer pinned it says so on stderr and exits 0: nothing failed, and a cron job pulling a
 * node not yet given partners should not alarm.
 */
export async function pull(peer: string | undefined, o: DataOptions & JsonOptions): Promise<number> {
  return withNode(dataDir(o.data), async (node) => {
    let reports: PullReport[];
    if (peer) {
      const one = await node.pull(peer);
      if (!one) throw new SpamxError('NOT_FOUND', `no pinned peer ${peer}`);
      reports = [one];
    } else {
      reports = await node.pullAll();
      if (reports.length === 0) process.stderr.write('spamx pull: no peer is pinned, so there is nothing to pull (spamx peer add pins one)\n');
    }
    if (o.json) process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
    else for (const r of reports) process.stdout.write(`${describePull(r)}\n`);
    return reports.every((r) => r.ok) ? 0 : 1;
  });
}

export function describePull(r: PullReport): string {
  const base = `${r.peer}: seq ${r.fromSeq} -> ${r.toSeq} (${r.batches} batches, ${r.listed} listed, ${r.delisted} delisted, ${r.refused} refused)`;
  return r.error ? `${base}; FAILED ${r.error.code}${r.error.seq !== null ? ` at seq ${r.error.seq}` : ''}: ${r.error.message}` : `${base} from ${r.source}`;
}
