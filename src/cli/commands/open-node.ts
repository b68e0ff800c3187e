import { pino } from 'pino';
import { SpamxNode } from '../../daemon.js';
import { logOptions } from '../../config/log-options.js';

/** A node for one CLI command: not serving, logging warnings and worse to stderr. */
export async function withNode<T>(dataDir: string, fn: (node: SpamxNode) => Promise<T>): Promise<T> {
  const node = await SpamxNode.create({ dataDir, logger: pino(logOptions(process.env.SPAMX_LOG_LEVEL ?? 'warn'), pino.destination(2)) });
  try {
    return await fn(node);
  } finally {
    await node.destroy();
  }
}
