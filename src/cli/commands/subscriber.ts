import { SpamxError } from '../../core/errors.js';
import type { OriginScope } from '../../core/origin.js';
import { compiledScope } from '../../core/origin-cut.js';
import { parseScopeSpecs, scopeSpecs } from '../../core/scope-spec.js';
import { formatTimestamp } from '../../core/time.js';
import { addSubscriber, listSubscribers, revokeSubscriber } from '../../store/subscriber-store.js';
import { dataDir, type DataOptions, type JsonOptions } from '../args.js';
import { withNode } from './open-node.js';

/**
 * `spamx subscriber add NAME`: an API key for an ISP or mail operator, printed once, alone on the
 * last line of the output; only its hash is stored.
 */
export async function subscriberAdd(name: string, o: DataOptions & { scope?: string[]; contact?: string }): Promise<number> {
  const scope = o.scope && o.scope.length > 0 ? parseScopeSpecs(o.scope) : undefined;
  return withNode(dataDir(o.data), async (node) => {
    const { subscriber: s, key } = addSubscriber(node.store, name, node.clock(), { scope, contact: o.contact });
    process.stdout.write(
      `subscriber ${s.name} (id ${s.id}) created${s.scope ? `, scoped to ${scopeSpecs(s.scope).join(' ')}` : ''}` +
        `${s.contact ? `, daily report to ${s.contact}` : ''}; this key is shown once, store it now.\n` +
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

/**
 * `spamx subscriber list`: every subscriber, one a line (tab-separated), or JSON. A scoped key's
 * scope is shown expanded to the prefixes it covers today by the origin data in use.
 */
export async function subscriberList(o: DataOptions & JsonOptions): Promise<number> {
  return withNode(dataDir(o.data), async (node) => {
    const all = listSubscribers(node.store);
    const covers = (scope: OriginScope) => {
      const table = node.ctx.origins.current();
      return table.scopeCidrs(compiledScope(table, scope));
    };
    if (o.json) {
      // Times as RFC 3339, as everywhere the CLI prints one (the store keeps epoch milliseconds).
      const out = all.map((s) => ({
        ...s,
        createdAt: formatTimestamp(s.createdAt),
        revokedAt: s.revokedAt === null ? null : formatTimestamp(s.revokedAt),
        scope: s.scope && { ...s.scope, covers: covers(s.scope) },
      }));
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return 0;
    }
    for (const s of all) {
      let line = `${s.id}\t${s.name}\tcreated ${formatTimestamp(s.createdAt)}\t${s.revokedAt ? `revoked ${formatTimestamp(s.revokedAt)}` : 'active'}`;
      if (s.contact) line += `\treport to ${s.contact}`;
      if (s.scope) {
        const cidrs = covers(s.scope);
        const shown = cidrs.slice(0, 8).join(' ');
        line += `\tscope ${scopeSpecs(s.scope).join(' ')} = ${cidrs.length} prefixes: ${shown}${cidrs.length > 8 ? ` … (${cidrs.length - 8} more; --json lists all)` : ''}`;
      }
      process.stdout.write(`${line}\n`);
    }
    return 0;
  });
}
