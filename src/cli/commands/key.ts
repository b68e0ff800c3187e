import { loadConfig, type NodeConfig } from '../../config/config.js';
import { keyFileKid } from '../../node-files/own-keys.js';
import { loadPeers } from '../../config/peers.js';
import { SpamxError } from '../../core/errors.js';
import { keyStatus, type KeyHistory } from '../../core/key-history.js';
import { revokeOwnKey, rotateOwnKey } from '../../ingest/rotate-key.js';
import { keyHistoryOf } from '../../store/key-statement-store.js';
import { openStore, type Store } from '../../store/open-store.js';
import { orderedKids } from '../../verify/key-set.js';
import { dataDir, intOption, UsageError, type DataOptions, type JsonOptions } from '../args.js';

async function withStore<T>(dir: string, fn: (config: NodeConfig, store: Store) => Promise<T>): Promise<T> {
  const config = loadConfig(dir);
  const store = openStore(config.paths.database);
  try {
    return await fn(config, store);
  } finally {
    store.close();
  }
}

/** `spamx key rotate` (README "Key rotation"): a new signing key; the old one retired or revoked. */
export async function keyRotate(o: DataOptions & { readonly revokeOld?: boolean }): Promise<number> {
  return withStore(dataDir(o.data), async (config, store) => {
    const r = await rotateOwnKey({ store, config, clock: Date.now }, { revokeOld: o.revokeOld ?? false });
    process.stdout.write(
      `rotated ${config.id}'s signing key (key statement ${r.statement})\n` +
        `  new key id (fingerprint): ${r.kid}, signs batches from seq ${r.fromSeq}\n` +
        `  old key id:               ${r.previousKid}, ${o.revokeOld ? 'revoked' : 'retired'} after seq ${r.fromSeq - 1}\n` +
        `  old private key archived: ${r.archived} (never served)\n` +
        `partners follow at their next pull; a running spamx serve signs with the new key from its next batch\n`,
    );
    return 0;
  });
}

/**
 * `spamx key revoke KID --after-seq N`. A KID beginning with "-" reaches here as the argument
 * because main.ts moves it after `--` (normaliseArgv).
 */
export async function keyRevoke(kid: string, o: DataOptions & { readonly afterSeq?: string }): Promise<number> {
  const afterSeq = intOption(o.afterSeq, '--after-seq', 0, Number.MAX_SAFE_INTEGER);
  if (afterSeq === undefined) throw new UsageError('--after-seq N is required');
  return withStore(dataDir(o.data), async (config, store) => {
    const r = await revokeOwnKey({ store, config, clock: Date.now }, kid, afterSeq);
    process.stdout.write(
      `revoked ${r.kid} for ${config.id}'s batches after seq ${afterSeq} (key statement ${r.statement}, signed by ${r.previousKid})\n` +
        `partners refuse such batches as JWS_REVOKED_KEY once they have pulled the statement\n`,
    );
    return 0;
  });
}

/** `spamx key list`: a publisher's keys, with their status and the batches each signs. */
export async function keyList(o: DataOptions & JsonOptions & { readonly publisher?: string }): Promise<number> {
  return withStore(dataDir(o.data), async (config, store) => {
    const publisher = o.publisher ?? config.id;
    const history = keyHistoryOf(store, publisher);
    let rows = keyRows(history);
    if (history.count === 0) {
      // No statement yet: the key the node signs with, or the keys pinned for the peer.
      const kids = publisher === config.id ? [keyFileKid(config.paths.privateKey)] : await pinnedKids(config, publisher);
      rows = kids.map((kid, i) => ({ kid, status: i === 0 ? 'current' : 'in force', fromSeq: 1, throughSeq: null, revokedAfter: null }));
    }
    if (o.json) {
      process.stdout.write(`${JSON.stringify({ publisher, statements: history.count, keys: rows }, null, 2)}\n`);
      return 0;
    }
    process.stdout.write(`${publisher}: ${history.count} key statement${history.count === 1 ? '' : 's'}\n`);
    for (const r of rows) {
      const range = r.throughSeq === null ? `batches ${r.fromSeq}..` : `batches ${r.fromSeq}..${r.throughSeq}`;
      process.stdout.write(`  ${r.status.padEnd(8)}  ${r.kid}  ${range}${r.revokedAfter !== null ? `, refused after seq ${r.revokedAfter}` : ''}\n`);
    }
    return 0;
  });
}

/** Each key of the history with its status and the batches it signs, those in force first. */
function keyRows(history: KeyHistory) {
  return orderedKids(history).map((kid) => {
    const { fromSeq, throughSeq, revokedAfter } = history.keys.get(kid)!;
    return { kid, status: keyStatus(history, kid), fromSeq, throughSeq, revokedAfter };
  });
}

async function pinnedKids(config: NodeConfig, publisher: string): Promise<string[]> {
  const peer = (await loadPeers(config.paths.peers)).peers.find((p) => p.id === publisher);
  if (!peer) throw new SpamxError('NOT_FOUND', `no pinned peer ${publisher} and no key statements of it here`);
  return [...peer.pinned.keys()];
}
