import type { ConfigFile } from '../../config/config.js';
import { initNodeDir } from '../../config/init-node.js';
import { SpamxError } from '../../core/errors.js';
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
      public: { type: 'boolean' },
      'dnsbl-port': { type: 'string' },
      'dnsbl-zone': { type: 'string' },
    },
    { min: 0, max: 0 },
  );
  const dir = dataDir(values.data);
  if (!values.id) throw new SpamxError('CONFIG_INVALID', '--id is required');
  const file: ConfigFile = {
    id: values.id,
    name: values.name ?? values.id,
    ...(values.country ? { country: values.country.toUpperCase() } : {}),
    host: values.host ?? '127.0.0.1',
    port: intOption(values.port, '--port', 0, 65535) ?? 8440,
    ...(values['public-url'] ? { publicUrl: values['public-url'] } : {}),
    ...(values['publish-schedule'] ? { publish: { schedule: values['publish-schedule'] } } : {}),
    ...(values.public ? { subscribers: { public: true } } : {}),
    ...(values['dnsbl-port'] !== undefined || values['dnsbl-zone'] !== undefined
      ? {
          dnsbl: {
            ...(values['dnsbl-port'] !== undefined ? { port: intOption(values['dnsbl-port'], '--dnsbl-port', 0, 65535)! } : {}),
            ...(values['dnsbl-zone'] !== undefined ? { zone: values['dnsbl-zone'] } : {}),
          },
        }
      : {}),
  };
  const { config, kid } = await initNodeDir(dir, file);
  process.stdout.write(
    `initialised ${config.id} in ${config.paths.dir}\n` +
      `  key id (fingerprint): ${kid}\n` +
      `  url:                  ${config.publicUrl}\n` +
      `  operator token:       ${config.paths.operatorToken}\n` +
      `next: exchange descriptors with partners (spamx descriptor / spamx peer add), then spamx serve\n`,
  );
  return 0;
}
