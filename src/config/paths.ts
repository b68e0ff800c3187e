import { join } from 'node:path';

/** Where a node keeps each of its files inside its data directory. */
export interface NodePaths {
  readonly dir: string;
  readonly config: string;
  readonly privateKey: string;
  readonly publicKey: string;
  /** New keys during `spamx key rotate`, by kid, until their statement is stored (README "Key rotation"). */
  readonly pendingKeys: string;
  /** Retired private keys, by kid: kept, never served. */
  readonly retiredKeys: string;
  readonly operatorToken: string;
  readonly database: string;
  readonly peers: string;
  readonly allowlist: string;
}

export function nodePaths(dir: string): NodePaths {
  return {
    dir,
    config: join(dir, 'config.json'),
    privateKey: join(dir, 'keys', 'ed25519.private.jwk'),
    publicKey: join(dir, 'keys', 'ed25519.public.jwk'),
    pendingKeys: join(dir, 'keys', 'pending'),
    retiredKeys: join(dir, 'keys', 'retired'),
    operatorToken: join(dir, 'operator.token'),
    database: join(dir, 'spamx.db'),
    peers: join(dir, 'peers'),
    allowlist: join(dir, 'allowlist.txt'),
  };
}
