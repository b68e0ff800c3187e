import { SpamxError } from '../../core/errors.js';
import type { PullReport } from '../../ingest/pull-peer.js';
import { DATA, dataDir, parse } from '../args.js';
import { withNode } from './open-node.js';

/** `spamx pull [PEER]`: pull one peer, or every pinned peer, now (backoff is not applied). */
export async function pull(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...DATA, json: { type: 'boolean' } }, { min: 0, max: 1 });
  return withNode(dataDir(values.data), async (node) => {
    let reports: PullReport[];
    if (positionals[0]) {
      const one = await node.pull(positionals[0]);
      if (!one) throw new SpamxError('NOT_FOUND', `no pinned peer ${positionals[0]}`);
      reports = [one];
    } else {
      reports = await node.pullAll();
    }
    if (values.json) process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
    else for (const r of reports) process.stdout.write(`${describePull(r)}\n`);
    return reports.every((r) => r.ok) ? 0 : 1;
  });
}

export function describePull(r: PullReport): string {
  const base = `${r.peer}: seq ${r.fromSeq} -> ${r.toSeq} (${r.batches} batches, ${r.listed} listed, ${r.delisted} delisted, ${r.refused} refused)`;
  return r.error ? `${base}; FAILED ${r.error.code}${r.error.seq !== null ? ` at seq ${r.error.seq}` : ''}: ${r.error.message}` : `${base} from ${r.source}`;
}
