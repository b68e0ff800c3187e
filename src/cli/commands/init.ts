import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ALLOWLIST_TEMPLATE } from '../../config/allowlist.js';
import { parseConfig, type ConfigFile } from '../../config/config.js';
import { createIdentity } from '../../config/identity.js';
import { nodePaths } from '../../config/paths.js';
import { SpamxError } from '../../core/errors.js';
import { openStore } from '../../store/open-store.js';
import { DATA, dataDir, intOption, parse } from '../args.js';

/** `spamx init`: a new node's directory: config, key pair, operator token, store. */
export async function init(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      ...DATA,
      id: { type: 'string' },
      name: { type: 'string' },
      country: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'public-url': { type: 'string' },
      'publish-schedule': { type: 'string' },
    },
    { min: 0, max: 0 },
  );
  const paths = nodePaths(resolve(dataDir(values.data)));
  if (!values.id) throw new SpamxError('CONFIG_INVALID', '--id is required');
  if (existsSync(paths.config) || existsSync(paths.privateKey)) {
    throw new SpamxError('IDENTITY_EXISTS', `${paths.dir} already holds a node; refusing to overwrite its identity`);
  }
  const file: ConfigFile = {
    id: values.id,
    name: values.name ?? values.id,
    ...(values.country ? { country: values.country.toUpperCase() } : {}),
    host: values.host ?? '127.0.0.1',
    port: intOption(values.port, '--port', 0, 65535) ?? 8440,
    ...(values['public-url'] ? { publicUrl: values['public-url'] } : {}),
    ...(values['publish-schedule'] ? { publish: { schedule: values['publish-schedule'] } } : {}),
  };
  const config = parseConfig(file, paths); // validate before writing anything
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  mkdirSync(paths.peers, { recursive: true });
  writeFileSync(paths.config, `${JSON.stringify(file, null, 2)}\n`, { flag: 'wx' });
  const { kid } = await createIdentity(paths);
  if (!existsSync(config.allowlistPath)) writeFileSync(config.allowlistPath, ALLOWLIST_TEMPLATE);
  openStore(paths.database).close();
  process.stdout.write(
    `initialised ${config.id} in ${paths.dir}\n` +
      `  key id (fingerprint): ${kid}\n` +
      `  url:                  ${config.publicUrl}\n` +
      `  operator token:       ${paths.operatorToken}\n` +
      `next: exchange descriptors with partners (spamx descriptor / spamx peer add), then spamx serve\n`,
  );
  return 0;
}
