import { dataDir, type DataOptions } from '../args.js';
import { withNode } from './open-node.js';

/**
 * `spamx descriptor`: this node's `/.well-known/spamx` document plus its `url`, the file a
 * partner pins with `spamx peer add --file` when descriptors are exchanged out of band.
 */
export async function descriptor(o: DataOptions & { readonly url?: string }): Promise<number> {
  await withNode(dataDir(o.data), async (node) => {
    process.stdout.write(`${JSON.stringify({ ...node.descriptor(), url: o.url ?? node.url }, null, 2)}\n`);
  });
  return 0;
}
