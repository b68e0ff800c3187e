import { describeError } from '../core/errors.js';
import { UsageError } from './args.js';
import { USAGE } from './usage.js';

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  init: async () => (await import('./commands/init.js')).init,
  serve: async () => (await import('./commands/serve.js')).serveCommand,
  descriptor: async () => (await import('./commands/descriptor.js')).descriptor,
  peer: async () => (await import('./commands/peer.js')).peer,
  key: async () => (await import('./commands/key.js')).key,
  report: async () => (await import('./commands/queue.js')).report,
  delist: async () => (await import('./commands/queue.js')).delist,
  publish: async () => (await import('./commands/queue.js')).publish,
  pull: async () => (await import('./commands/pull.js')).pull,
  status: async () => (await import('./commands/status.js')).status,
  refusals: async () => (await import('./commands/status.js')).refusals,
  export: async () => (await import('./commands/export.js')).exportCommand,
  lookup: async () => (await import('./commands/lookup.js')).lookup,
  audit: async () => (await import('./commands/audit.js')).audit,
  evidence: async () => (await import('./commands/evidence.js')).evidence,
  'verify-evidence': async () => (await import('./commands/verify-evidence.js')).verifyEvidenceCommand,
  subscriber: async () => (await import('./commands/subscriber.js')).subscriber,
  demo: async () => (await import('../demo/demo.js')).demo,
};

/** Runs one CLI command; returns the exit status (0 ok, 1 failure, 2 bad arguments). */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(USAGE);
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`spamx: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  try {
    return await (await load())(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`spamx ${name}: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    process.stderr.write(`spamx ${name}: ${describeError(err).split('\n')[0]}\n`);
    return 1;
  }
}
