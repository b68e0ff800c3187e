import { readFileSync } from 'node:fs';
import { SpamxError } from '../../core/errors.js';
import { pinKeys, type PinnedKeySet } from '../../verify/pinned-keys.js';

/** A file's text, or one line saying why it cannot be read. */
export function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new SpamxError('BAD_REQUEST', `cannot read ${file}: ${(err as Error).message}`);
  }
}

export function readJson(file: string): unknown {
  try {
    return JSON.parse(readText(file));
  } catch (err) {
    if (err instanceof SpamxError) throw err;
    throw new SpamxError('BAD_REQUEST', `${file} is not JSON: ${(err as Error).message}`);
  }
}

/** A publisher's keys from a JWK, a JWKS, or a whole descriptor (`{"keys":{"keys":[…]}}`), each pinned as a puller pins them. */
export async function readPublisherKeys(file: string): Promise<PinnedKeySet> {
  const v = readJson(file) as { keys?: unknown; kty?: unknown } | null;
  const jwks = v && typeof v === 'object' && 'kty' in v ? { keys: [v] } : v && typeof v === 'object' && v.keys && !Array.isArray(v.keys) ? v.keys : v;
  return pinKeys(jwks, file);
}
