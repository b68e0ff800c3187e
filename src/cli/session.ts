import type { Command } from 'commander';
import { describeError } from '../core/errors.js';
import { UsageError } from './args.js';
import { commandPath } from './synopsis.js';

/** Where the CLI's own text goes: usage, help and one-line errors (commands write their output to stdout). */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** A command's handler: its arguments in the order declared, then its options; resolves its exit status. */
export type Handler = (...args: never[]) => Promise<number>;

/** Exit status of a bad invocation: unknown command or option, missing or extra argument, bad value. */
export const USAGE_EXIT = 2;

/**
 * One run of the CLI: the command's exit status, and how its failures are told. Actions load
 * their command's module only when it runs, so `spamx lookup` never loads the HTTP server.
 */
export class Session {
  code = 0;

  constructor(readonly io: CliIo) {}

  /**
   * The commander action for a handler: a UsageError exits 2 with the command's usage line, any
   * other error `failure` (1 unless the command's help says otherwise) with one line saying why.
   */
  action(load: () => Promise<Handler>, failure = 1): (...args: unknown[]) => Promise<void> {
    return async (...args: unknown[]) => {
      const cmd = args.at(-1) as Command;
      try {
        const handler = (await load()) as unknown as (...a: unknown[]) => Promise<number>;
        this.code = await handler(...args.slice(0, -1));
      } catch (err) {
        if (err instanceof UsageError) {
          this.usageError(cmd, err.message);
        } else {
          this.io.err(`${commandPath(cmd)}: ${describeError(err).split('\n')[0]}\n`);
          this.code = failure;
        }
      }
    };
  }

  /** `spamx peer add: MESSAGE` and that command's usage line, on stderr; exit status 2. */
  usageError(cmd: Command, message: string): void {
    this.io.err(`${commandPath(cmd)}: ${message}\n${usageLine(cmd)}\n`);
    this.code = USAGE_EXIT;
  }
}

export function usageLine(cmd: Command): string {
  return `Usage: ${commandPath(cmd)} ${cmd.usage()}`;
}
