import { parsePrefix, type Prefix } from '../../src/core/prefix.js';
import { PrefixSet } from '../../src/core/prefix-set.js';
import type { Policy } from '../../src/core/policy.js';
import { SpamxError, type ErrorCode } from '../../src/core/errors.js';

/** Parses a prefix the test knows is valid; a typo in a fixture fails loudly. */
export function prefix(text: string): Prefix {
  const parsed = parsePrefix(text);
  if (!parsed.ok) throw new Error(`fixture prefix ${text} is invalid: ${parsed.reason}`);
  return parsed.prefix;
}

/** A policy as production builds it (/16 and /32 minimums) unless the test says otherwise. */
export function policy(options: { allow?: string[]; min4?: number; min6?: number } = {}): Policy {
  return {
    minPrefixLength: { 4: options.min4 ?? 16, 6: options.min6 ?? 32 },
    allowlist: new PrefixSet((options.allow ?? []).map(prefix)),
  };
}

/** The SpamxError code `fn` throws; fails the test when it throws anything else or nothing. */
export function thrownCode(fn: () => unknown): ErrorCode {
  try {
    fn();
  } catch (err) {
    if (err instanceof SpamxError) return err.code;
    throw new Error(`expected a SpamxError, got ${String(err)}`);
  }
  throw new Error('expected a SpamxError, nothing was thrown');
}

export async function rejectedCode(promise: Promise<unknown>): Promise<ErrorCode> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof SpamxError) return err.code;
    throw new Error(`expected a SpamxError, got ${String(err)}`);
  }
  throw new Error('expected a SpamxError, nothing was thrown');
}

/** Number of addresses in a prefix, as a bigint so IPv6 counts stay exact. */
export function addressCount(p: Prefix): bigint {
  return 1n << BigInt((p.family === 4 ? 32 : 128) - p.length);
}

export const T0 = Date.parse('2026-11-22T10:15:00Z');
