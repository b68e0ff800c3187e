import { readFileSync } from 'node:fs';
import { loadConfig } from '../../config/config.js';
import { parseDescriptor, type PeerDescriptor } from '../../config/descriptor.js';
import { loadPeers } from '../../config/peers.js';
import { pinPeer } from '../../node-files/pin-peer.js';
import { removePeerFile } from '../../node-files/write-peer-file.js';
import { openStore } from '../../store/open-store.js';
import { unfreezeFeed } from '../../store/witness-store.js';
import { SpamxError } from '../../core/errors.js';
import { redactCredentials } from '../../core/redact-credentials.js';
import { PeerHttpClient } from '../../ingest/http-client.js';
import { dataDir, intOption, UsageError, type DataOptions, type JsonOptions } from '../args.js';

export interface PeerAddOptions extends DataOptions {
  readonly file?: string;
  readonly schedule?: string;
  readonly mirror?: string[];
  readonly quota?: string;
  readonly force?: boolean;
}

/** `spamx peer add URL` or `--file FILE`: pins a partner, one file in DIR/peers. */
export async function peerAdd(given: string | undefined, o: PeerAddOptions): Promise<number> {
  if ((given !== undefined) === (o.file !== undefined)) throw new UsageError('give either a URL or --file FILE');
  const quota = intOption(o.quota, '--quota', 1, Number.MAX_SAFE_INTEGER);
  const config = loadConfig(dataDir(o.data));
  let descriptor: PeerDescriptor;
  let url: string;
  if (o.file !== undefined) {
    descriptor = parseDescriptor(JSON.parse(readFileSync(o.file, 'utf8')), o.file);
    if (!descriptor.url) throw new SpamxError('PEER_INVALID', `${o.file} has no "url" member`);
    url = descriptor.url;
  } else {
    url = given!.replace(/\/+$/, '');
    const http = new PeerHttpClient({ ...config.pull, maxBodyBytes: 1024 * 1024 });
    try {
      descriptor = parseDescriptor(await http.getJson(`${url}/.well-known/spamx`), `${redactCredentials(url)}/.well-known/spamx`);
    } finally {
      await http.close();
    }
  }
  const pinned = await pinPeer(config, descriptor, {
    url,
    mirrors: o.mirror ?? [],
    schedule: o.schedule,
    quota,
    force: o.force ?? false,
  });
  process.stdout.write(
    `pinned ${descriptor.id}${descriptor.name ? ` (${descriptor.name}${descriptor.country ? `, ${descriptor.country}` : ''})` : ''} at ${redactCredentials(url)}\n` +
      [...pinned.pinned.keys()].map((kid) => `  key fingerprint (RFC 7638 SHA-256): ${kid}\n`).join(''),
  );
  return 0;
}

/**
 * `spamx peer list`: one pinned peer a line; with none, a line on stderr saying so (exit 0). URLs
 * are shown without their credentials (core/redact-credentials.ts): a listing gets pasted into
 * tickets and chats, and the password is in the peer file for whoever may read it.
 */
export async function peerList(o: DataOptions & JsonOptions): Promise<number> {
  const config = loadConfig(dataDir(o.data));
  const { peers, errors } = await loadPeers(config.paths.peers);
  if (peers.length === 0) process.stderr.write(`spamx peer list: no peer is pinned in ${config.paths.peers} (spamx peer add pins one)\n`);
  if (o.json) {
    const shown = peers.map(({ pinned, file, ...p }) => ({ ...p, url: redactCredentials(p.url), mirrors: p.mirrors.map(redactCredentials), kids: [...pinned.keys()] }));
    process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
  } else {
    for (const p of peers) {
      process.stdout.write(
        `${p.id}\t${redactCredentials(p.url)}\tschedule=${p.schedule ?? config.pull.defaultSchedule}\tkeys=${[...p.pinned.keys()].join(',')}` +
          `${p.mirrors.length ? `\tmirrors=${p.mirrors.map(redactCredentials).join(',')}` : ''}\n`,
      );
    }
  }
  for (const err of errors) process.stderr.write(`ignored: ${err.message}\n`);
  return 0;
}

/** `spamx peer remove ID`: unpins a peer; its stored batches stay. */
export async function peerRemove(id: string, o: DataOptions): Promise<number> {
  const config = loadConfig(dataDir(o.data));
  if (!removePeerFile(config.paths.peers, id)) throw new SpamxError('NOT_FOUND', `no pinned peer ${id}`);
  process.stdout.write(`removed ${id}; its stored batches stay in the log\n`);
  return 0;
}

/**
 * `spamx peer unfreeze ID`: resumes pulling a feed frozen after proof of equivocation, once the
 * operator has dealt with it; the evidence stays in the store.
 */
export async function peerUnfreeze(id: string, o: DataOptions): Promise<number> {
  const config = loadConfig(dataDir(o.data));
  const store = openStore(config.paths.database);
  try {
    if (!unfreezeFeed(store, id)) throw new SpamxError('NOT_FOUND', `the feed of ${id} is not frozen`);
  } finally {
    store.close();
  }
  process.stdout.write(`unfrozen ${id}; its evidence is kept (spamx status shows it)\n`);
  return 0;
}
