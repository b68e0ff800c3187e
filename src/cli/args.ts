import { readEnv } from '../config/env.js';

/** Bad command-line arguments: the CLI prints the command's usage line and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** `--data DIR`, falling back to SPAMX_DATA. */
export function dataDir(value: string | undefined): string {
  const dir = value ?? readEnv().dataDir;
  if (!dir) throw new UsageError('--data DIR is required (or set SPAMX_DATA)');
  return dir;
}

/** An option's value as an integer from min to max, or undefined when it was not given. */
export function intOption(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new UsageError(`${name} must be an integer from ${min} to ${max}`);
  return n;
}

/** The options every command working on a node's directory takes. */
export interface DataOptions {
  readonly data?: string | undefined;
}

/** `--json`, on the commands that can print JSON. */
export interface JsonOptions {
  readonly json?: boolean | undefined;
}
