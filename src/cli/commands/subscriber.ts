import { SpamxError } from '../../core/errors.js';
import { formatTimestamp } from '../../core/time.js';
import { addSubscriber, listSubscribers, revokeSubscriber } from '../../store/subscriber-store.js';
import { dataDir, type DataOptions, type JsonOptions } from '../args.js';
import { withNode } from './open-node.js';

/**
 * `spamx subscriber add NAME`: an API key for an ISP or mail operator, printed once, alone on the
 * last line of the output; only its hash is stored.
 */
export async function subscriberAdd(name: string, o: DataOptions): Promise<number> {
  return withNode(dataDir(o.data), async (node) => {
    const { subscriber: s, key } = addSubscriber(node.store, name, node.clock());
    process.stdout.write(
      `subscriber ${s.name} (id ${s.id}) created; this key is shown once, store it now.\n` +
        `Send it as "Authorization: Bearer <key>" or "X-Api-Key: <key>".\n${key}\n`,
    );
    return 0;
  });
}

/** `spamx subscriber revoke NAME|ID`. */
export async function subscriberRevoke(nameOrId: string, o: DataOptions): Promise<number> {
  return withNode(dataDir(o.data), async (node) => {
    if (!revokeSubscriber(node.store, nameOrId, node.clock())) throw new SpamxError('NOT_FOUND', `no active subscriber ${nameOrId}`);
    process.stdout.write(`revoked ${nameOrId}\n`);
    return 0;
  });
}

/** `spamx subscriber list`: every subscriber, one a line (tab-separated), or JSON. */
export async function subscriberList(o: DataOptions & JsonOptions): Promise<number> {
  return withNode(dataDir(o.data), async (node) => {
    const all = listSubscribers(node.store);
    if (o.json) process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
    else for (const s of all) process.stdout.write(`${s.id}\t${s.name}\tcreated ${formatTimestamp(s.createdAt)}\t${s.revokedAt ? `revoked ${formatTimestamp(s.revokedAt)}` : 'active'}\n`);
    return 0;
  });
}
