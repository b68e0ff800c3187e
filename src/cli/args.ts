import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readEnv } from '../config/env.js';

/** Bad command-line arguments: the CLI prints usage and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

export function parse<O extends Options>(argv: string[], options: O, positionals: { min: number; max: number }) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const n = parsed.positionals.length;
  if (n < positionals.min) throw new UsageError('missing argument');
  if (n > positionals.max) throw new UsageError(`unexpected argument "${parsed.positionals[positionals.max]}"`);
  return parsed;
}

/** `--data DIR`, falling back to SPAMX_DATA. */
export function dataDir(value: string | boolean | (string | boolean)[] | undefined): string {
  const dir = typeof value === 'string' ? value : readEnv().dataDir;
  if (!dir) throw new UsageError('--data DIR is required (or set SPAMX_DATA)');
  return dir;
}

export function intOption(value: unknown, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || n < min || n > max) {
    throw new UsageError(`${name} must be an integer from ${min} to ${max}`);
  }
  return n;
}

export const DATA = { data: { type: 'string' } } as const;
