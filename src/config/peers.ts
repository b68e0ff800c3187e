import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { CENTRE_ID_RE } from '../core/batch.js';
import { SpamxError } from '../core/errors.js';
import { pinKeys, type PinnedKeySet } from '../verify/pinned-keys.js';
import { cronExpression } from './config.js';

/**
 * A partner's URL: http or https only (a feed is fetched over HTTP; `ftp:`, `file:` or `data:`
 * must not reach the HTTP client). `user:password@` is accepted but never shown: everything
 * that logs or stores a peer's URL passes it through core/redact-credentials.ts.
 */
const peerUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });

/** One pinned partner: `DIR/peers/<id>.json`. */
export const PeerFileSchema = z
  .object({
    id: z.string().regex(CENTRE_ID_RE),
    name: z.string().max(200).optional(),
    country: z.string().max(2).optional(),
    url: peerUrl,
    mirrors: z.array(peerUrl).default([]),
    schedule: cronExpression.optional(),
    /** Most active listings this peer may hold here; overrides policy.defaultPeerQuota. */
    quota: z.number().int().positive().nullable().optional(),
    keys: z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1) }),
    /** C2SP verifier key of the peer's checkpoints, as its descriptor gave it. */
    checkpointKey: z.string().optional(),
    pinnedAt: z.string(),
  })
  .strict();

export type PeerFile = z.output<typeof PeerFileSchema>;

export interface Peer extends PeerFile {
  readonly pinned: PinnedKeySet;
  readonly file: string;
}

export function peerFilePath(peersDir: string, id: string): string {
  return join(peersDir, `${id}.json`);
}

export async function parsePeerFile(raw: unknown, file: string): Promise<Peer> {
  const parsed = PeerFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new SpamxError('PEER_INVALID', `${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  const peer = parsed.data;
  return { ...peer, url: peer.url.replace(/\/+$/, ''), mirrors: peer.mirrors.map((m) => m.replace(/\/+$/, '')), pinned: await pinKeys(peer.keys, file), file };
}

/**
 * Every peer file in the directory. A broken file does not stop the others from loading: it is
 * returned in `errors` so the daemon can log it and keep serving.
 */
export async function loadPeers(peersDir: string): Promise<{ peers: Peer[]; errors: SpamxError[] }> {
  const peers: Peer[] = [];
  const errors: SpamxError[] = [];
  let names: string[];
  try {
    names = readdirSync(peersDir).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return { peers, errors };
  }
  for (const name of names) {
    const file = join(peersDir, name);
    try {
      const peer = await parsePeerFile(parseJsonFile(file), file);
      if (`${peer.id}.json` !== name) throw new SpamxError('PEER_INVALID', `${file}: holds peer "${peer.id}"; the file must be named ${peer.id}.json`);
      peers.push(peer);
    } catch (err) {
      errors.push(err instanceof SpamxError ? err : new SpamxError('PEER_INVALID', `${file}: ${(err as Error).message}`));
    }
  }
  return { peers, errors };
}

/** The file's JSON; an error names the file, never its content (V8's message quotes it). */
function parseJsonFile(file: string): unknown {
  const text = readFileSync(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new SpamxError('PEER_INVALID', `${file}: not valid JSON`);
  }
}
