import { DATA, dataDir, parse } from '../args.js';
import { withNode } from './open-node.js';

/**
 * `spamx descriptor`: this node's `/.well-known/spamx` document plus its `url`, the file a
 * partner pins with `spamx peer add --file` when descriptors are exchanged out of band.
 */
export async function descriptor(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...DATA, url: { type: 'string' } }, { min: 0, max: 0 });
  await withNode(dataDir(values.data), async (node) => {
    process.stdout.write(`${JSON.stringify({ ...node.descriptor(), url: values.url ?? node.url }, null, 2)}\n`);
  });
  return 0;
}
