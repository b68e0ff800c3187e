import { SpamxError } from '../../core/errors.js';
import { formatTimestamp } from '../../core/time.js';
import { addSubscriber, listSubscribers, revokeSubscriber } from '../../store/subscriber-store.js';
import { DATA, dataDir, parse, UsageError } from '../args.js';
import { withNode } from './open-node.js';

/**
 * `spamx subscriber add|list|revoke`: API keys for ISPs and mail operators. `add` prints the key
 * once, alone on the last line of its output; only its hash is stored.
 */
export async function subscriber(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parse(rest, { ...DATA, json: { type: 'boolean' } }, { min: sub === 'list' ? 0 : 1, max: sub === 'list' ? 0 : 1 });
  if (sub !== 'add' && sub !== 'list' && sub !== 'revoke') throw new UsageError(`subscriber needs add, list or revoke${sub ? `, not "${sub}"` : ''}`);
  return withNode(dataDir(values.data), async (node) => {
    const now = node.clock();
    if (sub === 'add') {
      const { subscriber: s, key } = addSubscriber(node.store, positionals[0]!, now);
      process.stdout.write(
        `subscriber ${s.name} (id ${s.id}) created; this key is shown once, store it now.\n` +
          `Send it as "Authorization: Bearer <key>" or "X-Api-Key: <key>".\n${key}\n`,
      );
    } else if (sub === 'revoke') {
      if (!revokeSubscriber(node.store, positionals[0]!, now)) throw new SpamxError('NOT_FOUND', `no active subscriber ${positionals[0]}`);
      process.stdout.write(`revoked ${positionals[0]}\n`);
    } else {
      const all = listSubscribers(node.store);
      if (values.json) process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
      else for (const s of all) process.stdout.write(`${s.id}\t${s.name}\tcreated ${formatTimestamp(s.createdAt)}\t${s.revokedAt ? `revoked ${formatTimestamp(s.revokedAt)}` : 'active'}\n`);
    }
    return 0;
  });
}
