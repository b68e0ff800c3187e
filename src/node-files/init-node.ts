import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SpamxError } from '../core/errors.js';
import { parseConfig, type ConfigFile, type NodeConfig } from '../config/config.js';
import { nodePaths } from '../config/paths.js';
import { openStore } from '../store/open-store.js';
import { createIdentity } from './create-identity.js';

/** Read back by config/allowlist.ts, which skips these comment lines. */
const ALLOWLIST_TEMPLATE = `# spamx allowlist: addresses and prefixes this node never lists, one per line.
# An entry inside one of these is refused (PREFIX_ALLOWLISTED); a listed range that
# contains one is exported with the allowlisted part carved out.
`;

/**
 * Creates a node's data directory: `config.json`, an Ed25519 key pair (private key 0600), the
 * operator token (0600), an empty allowlist and the store. Refuses to touch a directory that
 * already holds a node, so an identity is never overwritten.
 */
export async function initNodeDir(dir: string, file: ConfigFile): Promise<{ config: NodeConfig; kid: string }> {
  const paths = nodePaths(resolve(dir));
  if (existsSync(paths.config) || existsSync(paths.privateKey)) {
    throw new SpamxError('IDENTITY_EXISTS', `${paths.dir} already holds a node; refusing to overwrite its identity`);
  }
  // A new node serves its batches to pinned partners only unless told otherwise (a config.json
  // without the member, from before it existed, stays public: config.ts).
  file = { ...file, federation: file.federation ?? { access: 'partners' } };
  const config = parseConfig(file, paths); // validate before writing anything
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  mkdirSync(paths.peers, { recursive: true });
  writeFileSync(paths.config, `${JSON.stringify(file, null, 2)}\n`, { flag: 'wx' });
  const { kid } = await createIdentity(paths);
  if (!existsSync(config.allowlistPath)) writeFileSync(config.allowlistPath, ALLOWLIST_TEMPLATE);
  openStore(paths.database).close();
  return { config, kid };
}
