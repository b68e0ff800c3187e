import { existsSync } from 'node:fs';
import { SpamxError } from '../core/errors.js';
import { redactCredentials } from '../core/redact-credentials.js';
import type { NodeConfig } from '../config/config.js';
import type { PeerDescriptor } from '../config/descriptor.js';
import { parsePeerFile, peerFilePath, type Peer, type PeerFile } from '../config/peers.js';
import { checkpointVerifier } from '../verify/checkpoint-keys.js';
import { writePeerFile } from './write-peer-file.js';

export interface PinOptions {
  readonly url: string;
  readonly mirrors?: readonly string[];
  readonly schedule?: string | undefined;
  readonly quota?: number | null | undefined;
  /** Replace an existing pin of the same id. */
  readonly force?: boolean;
}

/**
 * Pins a partner from its descriptor: every key is checked to be Ed25519 and its kid recomputed
 * (a kid is never trusted as given), then the peer file is written atomically.
 */
export async function pinPeer(config: NodeConfig, descriptor: PeerDescriptor, options: PinOptions): Promise<Peer> {
  if (descriptor.id === config.id) throw new SpamxError('PEER_INVALID', `${redactCredentials(options.url)} is this node (${config.id}) itself`);
  if (existsSync(peerFilePath(config.paths.peers, descriptor.id)) && !options.force) {
    throw new SpamxError('CONFLICT', `${descriptor.id} is already pinned; remove it first (or --force to re-pin)`);
  }
  const file: PeerFile = {
    id: descriptor.id,
    ...(descriptor.name ? { name: descriptor.name } : {}),
    ...(descriptor.country ? { country: descriptor.country } : {}),
    url: options.url.replace(/\/+$/, ''),
    mirrors: [...(options.mirrors ?? [])],
    ...(options.schedule ? { schedule: options.schedule } : {}),
    ...(options.quota !== undefined ? { quota: options.quota } : {}),
    keys: descriptor.keys,
    ...(descriptor.checkpointKey ? { checkpointKey: descriptor.checkpointKey } : {}),
    pinnedAt: new Date().toISOString(),
  };
  const checked = await parsePeerFile(file, `peer ${descriptor.id}`);
  checkpointVerifier(checked); // the announced checkpoint key must be a pinned key
  const keys = { keys: [...checked.pinned.values()].map((k) => ({ ...k.jwk, kid: k.kid })) };
  const path = writePeerFile(config.paths.peers, { ...file, keys });
  return { ...checked, keys, file: path };
}
