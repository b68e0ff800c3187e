import type { ConfigFile } from '../../config/config.js';
import { initNodeDir } from '../../node-files/init-node.js';
import { dataDir, intOption, UsageError, type DataOptions } from '../args.js';

export interface InitOptions extends DataOptions {
  readonly id?: string;
  readonly name?: string;
  readonly country?: string;
  readonly port?: string;
  readonly host?: string;
  readonly publicUrl?: string;
  readonly publishSchedule?: string;
  readonly public?: boolean;
  readonly publicFeeds?: boolean;
  readonly dnsblPort?: string;
  readonly dnsblZone?: string;
}

/** `spamx init`: a new node's directory: config, key pair, operator token, store. */
export async function init(o: InitOptions): Promise<number> {
  const dir = dataDir(o.data);
  if (!o.id) throw new UsageError('--id ID is required');
  const file: ConfigFile = {
    id: o.id,
    name: o.name ?? o.id,
    ...(o.country ? { country: o.country.toUpperCase() } : {}),
    host: o.host ?? '127.0.0.1',
    port: intOption(o.port, '--port', 0, 65535) ?? 8440,
    ...(o.publicUrl ? { publicUrl: o.publicUrl } : {}),
    ...(o.publishSchedule ? { publish: { schedule: o.publishSchedule } } : {}),
    ...(o.public ? { subscribers: { public: true } } : {}),
    // Batches to pinned partners only (signed requests), unless --public-feeds.
    federation: { access: o.publicFeeds ? 'public' : 'partners' },
    ...(o.dnsblPort !== undefined || o.dnsblZone !== undefined
      ? {
          dnsbl: {
            ...(o.dnsblPort !== undefined ? { port: intOption(o.dnsblPort, '--dnsbl-port', 0, 65535)! } : {}),
            ...(o.dnsblZone !== undefined ? { zone: o.dnsblZone } : {}),
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
