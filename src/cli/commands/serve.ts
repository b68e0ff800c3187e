import { SpamxNode } from '../../daemon.js';
import { loadConfig } from '../../config/config.js';
import { DATA, dataDir, intOption, parse } from '../args.js';

/** `spamx serve`: the daemon, until SIGTERM or SIGINT; SIGHUP re-reads peers and allowlist. */
export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    { ...DATA, port: { type: 'string' }, host: { type: 'string' }, 'dnsbl-port': { type: 'string' }, 'dnsbl-zone': { type: 'string' } },
    { min: 0, max: 0 },
  );
  const port = intOption(values.port, '--port', 0, 65535);
  const dnsblPort = intOption(values['dnsbl-port'], '--dnsbl-port', 0, 65535);
  const dir = dataDir(values.data);
  const configured = loadConfig(dir).dnsbl;
  const node = await SpamxNode.create({
    dataDir: dir,
    overrides: {
      ...(port !== undefined ? { port } : {}),
      ...(values.host ? { host: values.host } : {}),
      ...(dnsblPort !== undefined || values['dnsbl-zone'] !== undefined
        ? { dnsbl: { ...configured, ...(dnsblPort !== undefined ? { port: dnsblPort } : {}), ...(values['dnsbl-zone'] ? { zone: values['dnsbl-zone'] } : {}) } }
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
