import { loadConfig, type NodeConfig } from '../../config/config.js';
import { keyFileKid } from '../../config/own-keys.js';
import { loadPeers } from '../../config/peers.js';
import { SpamxError } from '../../core/errors.js';
import { keyStatus, type KeyHistory } from '../../core/key-history.js';
import { revokeOwnKey, rotateOwnKey } from '../../ingest/rotate-key.js';
import { keyHistoryOf } from '../../store/key-statement-store.js';
import { openStore, type Store } from '../../store/open-store.js';
import { orderedKids } from '../../verify/key-set.js';
import { DATA, dataDir, intOption, parse, UsageError } from '../args.js';

/** `spamx key rotate|revoke|list` (README "Key rotation"). */
export async function key(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'rotate') return rotate(rest);
  if (sub === 'revoke') return revoke(rest);
  if (sub === 'list') return list(rest);
  throw new UsageError(`key needs rotate, revoke or list${sub ? `, not "${sub}"` : ''}`);
}

async function withStore<T>(dir: string, fn: (config: NodeConfig, store: Store) => Promise<T>): Promise<T> {
  const config = loadConfig(dir);
  const store = openStore(config.paths.database);
  try {
    return await fn(config, store);
  } finally {
    store.close();
  }
}

async function rotate(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...DATA, 'revoke-old': { type: 'boolean' } }, { min: 0, max: 0 });
  return withStore(dataDir(values.data), async (config, store) => {
    const r = await rotateOwnKey({ store, config, clock: Date.now }, { revokeOld: values['revoke-old'] ?? false });
    process.stdout.write(
      `rotated ${config.id}'s signing key (key statement ${r.statement})\n` +
        `  new key id (fingerprint): ${r.kid}, signs batches from seq ${r.fromSeq}\n` +
        `  old key id:               ${r.previousKid}, ${values['revoke-old'] ? 'revoked' : 'retired'} after seq ${r.fromSeq - 1}\n` +
        `  old private key archived: ${r.archived} (never served)\n` +
        `partners follow at their next pull; a running spamx serve signs with the new key from its next batch\n`,
    );
    return 0;
  });
}

/** An RFC 7638 thumbprint: 43 base64url characters, so it may begin with "-". */
const KID_RE = /^[A-Za-z0-9_-]{43}$/;

async function revoke(argv: string[]): Promise<number> {
  // parseArgs would read a kid beginning with "-" as options: such a kid is taken out first.
  const at = argv.findIndex((a, i) => a.startsWith('-') && KID_RE.test(a) && !['--data', '--after-seq'].includes(argv[i - 1] ?? ''));
  const rest = at < 0 ? argv : argv.filter((_, i) => i !== at);
  const { values, positionals } = parse(rest, { ...DATA, 'after-seq': { type: 'string' } }, at < 0 ? { min: 1, max: 1 } : { min: 0, max: 0 });
  const kid = at < 0 ? positionals[0]! : argv[at]!;
  const afterSeq = intOption(values['after-seq'], '--after-seq', 0, Number.MAX_SAFE_INTEGER);
  if (afterSeq === undefined) throw new UsageError('--after-seq N is required');
  return withStore(dataDir(values.data), async (config, store) => {
    const r = await revokeOwnKey({ store, config, clock: Date.now }, kid, afterSeq);
    process.stdout.write(
      `revoked ${r.kid} for ${config.id}'s batches after seq ${afterSeq} (key statement ${r.statement}, signed by ${r.previousKid})\n` +
        `partners refuse such batches as JWS_REVOKED_KEY once they have pulled the statement\n`,
    );
    return 0;
  });
}

async function list(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...DATA, publisher: { type: 'string' }, json: { type: 'boolean' } }, { min: 0, max: 0 });
  return withStore(dataDir(values.data), async (config, store) => {
    const publisher = values.publisher ?? config.id;
    const history = keyHistoryOf(store, publisher);
    let rows = keyRows(history);
    if (history.count === 0) {
      // No statement yet: the key the node signs with, or the keys pinned for the peer.
      const kids = publisher === config.id ? [keyFileKid(config.paths.privateKey)] : await pinnedKids(config, publisher);
      rows = kids.map((kid, i) => ({ kid, status: i === 0 ? 'current' : 'in force', fromSeq: 1, throughSeq: null, revokedAfter: null }));
    }
    if (values.json) {
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
