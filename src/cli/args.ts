import { readEnv } from '../config/env.js';
import { parseTimestamp } from '../core/time.js';

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

/** `--since TIME`: RFC 3339 UTC or epoch seconds, as milliseconds; undefined when not given. */
export function sinceOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = /^\d{1,12}$/.test(value) ? Number(value) * 1000 : parseTimestamp(value);
  if (ms === undefined) throw new UsageError(`--since ${value}: must be an RFC 3339 UTC time or epoch seconds`);
  return ms;
}

/** The options every command working on a node's directory takes. */
export interface DataOptions {
  readonly data?: string | undefined;
}

/** `--json`, on the commands that can print JSON. */
export interface JsonOptions {
  readonly json?: boolean | undefined;
}
