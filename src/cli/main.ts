import type { Command } from 'commander';
import { buildProgram, CommandExit } from './program.js';
import { Session, USAGE_EXIT, type CliIo } from './session.js';

const STDIO: CliIo = { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) };

/** An RFC 7638 thumbprint: 43 base64url characters, so it may begin with "-". */
const KID_RE = /^[A-Za-z0-9_-]{43}$/;

/**
 * What the user typed, in the form the definition parses: a key id beginning with "-" given to
 * `key revoke` is moved after `--`, so that it is read as the KID, not as options.
 */
export function normaliseArgv(argv: readonly string[]): string[] {
  if (argv[0] === 'key' && argv[1] === 'revoke' && !argv.includes('--')) {
    const at = argv.findIndex((a, i) => i > 1 && a.startsWith('-') && KID_RE.test(a) && !['--data', '--after-seq'].includes(argv[i - 1] ?? ''));
    if (at > 0) return [...argv.filter((_, i) => i !== at), '--', argv[at]!];
  }
  return [...argv];
}

/**
 * Runs one CLI command; resolves its exit status: 0 success, 1 failure (lookup: 1 not listed,
 * 3 failure), 2 bad arguments: an unknown command or option, a missing or extra argument, a bad
 * value. `spamx` alone prints the usage and exits 2; `spamx help`, `--help` and `--version` exit 0.
 */
export async function main(argv: readonly string[], io: CliIo = STDIO): Promise<number> {
  const session = new Session(io);
  const program = buildProgram(session);
  if (argv.length === 0) {
    program.outputHelp();
    return USAGE_EXIT;
  }
  if (argv[0] === 'help') return help(session, program, argv.slice(1));
  try {
    await program.parseAsync(normaliseArgv(argv), { from: 'user' });
    return session.code;
  } catch (err) {
    if (!(err instanceof CommandExit)) throw err;
    const { error, command } = err;
    if (error.exitCode === 0) return 0; // --help, help, --version
    // A group without its sub-command (`spamx peer`): commander has printed its help on stderr.
    if (error.code === 'commander.help') return USAGE_EXIT;
    session.usageError(command, error.message.replace(/^error: /, ''));
    return USAGE_EXIT;
  }
}

/** `spamx help peer add`: that command's help, exit 0; a name that is no command exits 2. */
function help(session: Session, program: Command, names: readonly string[]): number {
  let cmd = program;
  for (const name of names) {
    if (name === 'help') break; // `spamx help help`: the program's help says what help does
    const sub = cmd.commands.find((c) => c.name() === name);
    if (!sub) {
      session.usageError(cmd, `unknown command '${name}'`);
      return USAGE_EXIT;
    }
    cmd = sub;
  }
  cmd.outputHelp();
  return 0;
}
