import { SpamxNode } from '../../daemon.js';
import { DATA, dataDir, intOption, parse } from '../args.js';

/** `spamx serve`: the daemon, until SIGTERM or SIGINT; SIGHUP re-reads peers and allowlist. */
export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...DATA, port: { type: 'string' }, host: { type: 'string' } }, { min: 0, max: 0 });
  const port = intOption(values.port, '--port', 0, 65535);
  const node = await SpamxNode.create({
    dataDir: dataDir(values.data),
    overrides: { ...(port !== undefined ? { port } : {}), ...(values.host ? { host: values.host } : {}) },
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
