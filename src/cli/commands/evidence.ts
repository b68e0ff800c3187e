import { buildEvidence } from '../../audit/build-evidence.js';
import { dataDir, type DataOptions } from '../args.js';
import { startProgress } from '../progress.js';
import { withNode } from './open-node.js';

/**
 * `spamx evidence --data DIR IP`: a self-contained bundle proving this node's listing of IP, for
 * `spamx verify-evidence` to check offline. Listings that cannot be proven are named on stderr;
 * exit 1 when the address is not listed or none can be.
 */
export async function evidence(ip: string, o: DataOptions & { readonly quiet?: boolean }): Promise<number> {
  return withNode(dataDir(o.data), async (node) => {
    // Listings proven so far, of those found: each reads its whole batch.
    const progress = startProgress('evidence', { unit: 'listings', quiet: o.quiet });
    let built;
    try {
      built = buildEvidence(node, ip, (done, total) => progress.update(done, total));
    } finally {
      progress.stop();
    }
    const { bundle, skipped, notListed } = built;
    for (const s of skipped) process.stderr.write(`spamx evidence: cannot prove ${s}\n`);
    if (notListed !== undefined) process.stderr.write(`spamx evidence: ${ip} is not listed: ${notListed}\n`);
    if (!bundle) {
      if (notListed === undefined) process.stderr.write(`spamx evidence: no listing of ${ip} can be proven yet\n`);
      return 1;
    }
    process.stdout.write(`${JSON.stringify(bundle, null, 2)}\n`);
    return 0;
  });
}
