import { readFileSync } from 'node:fs';
import { loadConfig } from '../../config/config.js';
import { parseDescriptor, type PeerDescriptor } from '../../config/descriptor.js';
import { loadPeers, removePeerFile } from '../../config/peers.js';
import { pinPeer } from '../../config/pin-peer.js';
import { openStore } from '../../store/open-store.js';
import { unfreezeFeed } from '../../store/witness-store.js';
import { SpamxError } from '../../core/errors.js';
import { PeerHttpClient } from '../../ingest/http-client.js';
import { DATA, dataDir, intOption, parse, UsageError } from '../args.js';

/** `spamx peer add|list|remove`: the node's pinned partners, one file each in DIR/peers. */
export async function peer(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'add') return add(rest);
  if (sub === 'list') return list(rest);
  if (sub === 'remove') return remove(rest);
  if (sub === 'unfreeze') return unfreeze(rest);
  throw new UsageError(`peer needs add, list, remove or unfreeze${sub ? `, not "${sub}"` : ''}`);
}

async function add(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      ...DATA,
      file: { type: 'string' },
      schedule: { type: 'string' },
      mirror: { type: 'string', multiple: true },
      quota: { type: 'string' },
      force: { type: 'boolean' },
    },
    { min: 0, max: 1 },
  );
  const config = loadConfig(dataDir(values.data));
  if ((positionals.length === 1) === (values.file !== undefined)) throw new UsageError('give either a URL or --file FILE');
  let descriptor: PeerDescriptor;
  let url: string;
  if (values.file !== undefined) {
    descriptor = parseDescriptor(JSON.parse(readFileSync(values.file, 'utf8')), values.file);
    if (!descriptor.url) throw new SpamxError('PEER_INVALID', `${values.file} has no "url" member`);
    url = descriptor.url;
  } else {
    url = positionals[0]!.replace(/\/+$/, '');
    const http = new PeerHttpClient({ ...config.pull, maxBodyBytes: 1024 * 1024 });
    try {
      descriptor = parseDescriptor(await http.getJson(`${url}/.well-known/spamx`), `${url}/.well-known/spamx`);
    } finally {
      await http.close();
    }
  }
  const pinned = await pinPeer(config, descriptor, {
    url,
    mirrors: values.mirror ?? [],
    schedule: values.schedule,
    quota: values.quota ? intOption(values.quota, '--quota', 1, Number.MAX_SAFE_INTEGER) : undefined,
    force: values.force ?? false,
  });
  process.stdout.write(
    `pinned ${descriptor.id}${descriptor.name ? ` (${descriptor.name}${descriptor.country ? `, ${descriptor.country}` : ''})` : ''} at ${url}\n` +
      [...pinned.pinned.keys()].map((kid) => `  key fingerprint (RFC 7638 SHA-256): ${kid}\n`).join(''),
  );
  return 0;
}

async function list(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...DATA, json: { type: 'boolean' } }, { min: 0, max: 0 });
  const config = loadConfig(dataDir(values.data));
  const { peers, errors } = await loadPeers(config.paths.peers);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(peers.map(({ pinned, file, ...p }) => ({ ...p, kids: [...pinned.keys()] })), null, 2)}\n`);
  } else {
    for (const p of peers) {
      process.stdout.write(
        `${p.id}\t${p.url}\tschedule=${p.schedule ?? config.pull.defaultSchedule}\tkeys=${[...p.pinned.keys()].join(',')}` +
          `${p.mirrors.length ? `\tmirrors=${p.mirrors.join(',')}` : ''}\n`,
      );
    }
  }
  for (const err of errors) process.stderr.write(`ignored: ${err.message}\n`);
  return 0;
}

async function remove(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...DATA }, { min: 1, max: 1 });
  const config = loadConfig(dataDir(values.data));
  const id = positionals[0]!;
  if (!removePeerFile(config.paths.peers, id)) throw new SpamxError('NOT_FOUND', `no pinned peer ${id}`);
  process.stdout.write(`removed ${id}; its stored batches stay in the log\n`);
  return 0;
}

/**
 * `spamx peer unfreeze ID`: resumes pulling a feed frozen after proof of equivocation, once the
 * operator has dealt with it; the evidence stays in the store.
 */
async function unfreeze(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...DATA }, { min: 1, max: 1 });
  const config = loadConfig(dataDir(values.data));
  const store = openStore(config.paths.database);
  try {
    if (!unfreezeFeed(store, positionals[0]!)) throw new SpamxError('NOT_FOUND', `the feed of ${positionals[0]} is not frozen`);
  } finally {
    store.close();
  }
  process.stdout.write(`unfrozen ${positionals[0]}; its evidence is kept (spamx status shows it)\n`);
  return 0;
}
