import { readFileSync } from 'node:fs';
import { Command, CommanderError, Help } from 'commander';
import { defineAuditCommands } from './audit-commands.js';
import { defineJurisdictionCommands } from './jurisdiction-commands.js';
import { defineNodeCommands } from './node-commands.js';
import { defineOriginCommands } from './origin-commands.js';
import { definePartnerCommands } from './partner-commands.js';
import { defineMailCommands } from './mail-commands.js';
import { defineRequestCommands } from './request-commands.js';
import { defineMonthlyCommands } from './monthly-commands.js';
import type { Session } from './session.js';
import { wrappedSynopsis } from './synopsis.js';

/** A commander exit (help shown, version, bad arguments) with the command it happened in. */
export class CommandExit extends Error {
  constructor(
    readonly error: CommanderError,
    readonly command: Command,
  ) {
    super(error.message);
  }
}

const AFTER_ALL = `
Run "spamx help COMMAND" (or "spamx COMMAND --help") for a command's flags and arguments.
--data may be replaced by the SPAMX_DATA environment variable.
Exit status: 0 success, 1 failure (one line on stderr says why), 2 bad arguments;
"spamx lookup" exits 1 when the address is not listed and 3 when it fails.`;

// The version printed is the one npm installed: package.json sits two levels above both
// src/cli/ and the compiled .build/cli/.
const version = () => (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * The whole `spamx` command line in one definition: commander parses it, and writes every help
 * and usage line from it, so the two cannot drift. Commands are defined by theme in
 * node-commands.ts, partner-commands.ts and audit-commands.ts; their handlers, in commands/,
 * are imported only when they run.
 */
export function buildProgram(session: Session): Command {
  const program = new Command('spamx')
    .description('spamx: exchange signed spam-origin IP batches between anti-spam centres.')
    .version(version(), '-V, --version', 'print the version')
    .helpOption('-h, --help', "print this command's usage and flags")
    .usage('COMMAND [ARGUMENTS] [FLAGS]')
    .addHelpCommand(new Command('help').argument('[COMMAND...]').description("print a command's usage and flags").helpGroup('Help:'))
    .addHelpText('after', AFTER_ALL);
  defineNodeCommands(program, session);
  definePartnerCommands(program, session);
  defineAuditCommands(program, session);
  defineOriginCommands(program, session);
  defineJurisdictionCommands(program, session);
  defineMailCommands(program, session);
  defineRequestCommands(program, session);
  defineMonthlyCommands(program, session);
  forEachCommand(program, (cmd) => {
    cmd
      .exitOverride((err) => {
        throw new CommandExit(err, cmd);
      })
      // Errors are told by main(), with the command's usage line; help and version go to the session's io.
      .configureOutput({ writeOut: (t) => session.io.out(t), writeErr: (t) => session.io.err(t), outputError: () => undefined });
    if (cmd === program) return;
    cmd.usage(wrappedSynopsis(cmd));
    if (!cmd.description()) cmd.description(`${cmd.summary().charAt(0).toUpperCase()}${cmd.summary().slice(1)}.`);
    if (cmd.commands.length > 0) cmd.configureHelp({ subcommandTerm: (sub) => plainTerm(sub) });
  });
  // The program lists every command down to `peer add`, each with its arguments (its flags are in `spamx help CMD`).
  program.configureHelp({
    visibleCommands: (cmd) => new Help().visibleCommands(cmd).flatMap((c) => (c.commands.length > 0 ? c.commands : [c])),
    subcommandTerm: (sub) => (sub.parent && sub.parent !== program ? `${sub.parent.name()} ` : '') + plainTerm(sub),
  });
  return program;
}

/** `add [URL]`: a sub-command's name and arguments, without commander's ` [options]`. */
const plainTerm = (cmd: Command) => new Help().subcommandTerm(cmd).replace(' [options]', '');

export function forEachCommand(cmd: Command, fn: (cmd: Command) => void): void {
  fn(cmd);
  for (const sub of cmd.commands) forEachCommand(sub, fn);
}
