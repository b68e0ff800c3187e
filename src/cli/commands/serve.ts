import { SpamxNode } from '../../daemon.js';
import { loadConfig } from '../../config/config.js';
import { dataDir, intOption, type DataOptions } from '../args.js';

export interface ServeOptions extends DataOptions {
  readonly port?: string;
  readonly host?: string;
  readonly dnsblPort?: string;
  readonly dnsblZone?: string;
}

/** `spamx serve`: the daemon, until SIGTERM or SIGINT; SIGHUP re-reads peers and allowlist. */
export async function serveCommand(o: ServeOptions): Promise<number> {
  const port = intOption(o.port, '--port', 0, 65535);
  const dnsblPort = intOption(o.dnsblPort, '--dnsbl-port', 0, 65535);
  const dir = dataDir(o.data);
  const configured = loadConfig(dir).dnsbl;
  const node = await SpamxNode.create({
    dataDir: dir,
    overrides: {
      ...(port !== undefined ? { port } : {}),
      ...(o.host ? { host: o.host } : {}),
      ...(dnsblPort !== undefined || o.dnsblZone !== undefined
        ? { dnsbl: { ...configured, ...(dnsblPort !== undefined ? { port: dnsblPort } : {}), ...(o.dnsblZone ? { zone: o.dnsblZone } : {}) } }
        : {}),
    },
  });
  await node.start();
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      node.log.info({ signal }, 'shutting down');
      node.destroy().then(
        () => resolve(0),
        (err: unknown) => {
          node.log.error({ err }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => void node.reload());
  });
}
