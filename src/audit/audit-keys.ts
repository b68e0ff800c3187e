import { z } from 'zod';
import { isSpamxError, SpamxError } from '../core/errors.js';
import { EMPTY_KEY_HISTORY } from '../core/key-history.js';
import { MAX_STATEMENTS } from '../core/key-statement.js';
import { redactCredentials } from '../core/redact-credentials.js';
import { PeerHttpClient } from '../ingest/http-client.js';
import { keySetOf } from '../verify/key-set.js';
import type { PinnedKeySet } from '../verify/pinned-keys.js';
import { verifyKeyChain } from '../verify/verify-key-chain.js';

const KeysPageSchema = z.object({ publisher: z.string(), statements: z.array(z.unknown()).max(MAX_STATEMENTS) });

/**
 * The keys to audit a feed with when the auditor holds only some of the publisher's keys (the
 * original one, say): the publisher's key statements, fetched from the audited node and verified
 * as a chain anchored in the given keys (README "Key rotation"), give every key with the batches
 * it may sign. A node that serves no statements (404) leaves the given keys as they are; one
 * whose statements do not verify fails the audit with their code.
 */
export async function auditKeys(url: string, publisher: string, given: PinnedKeySet): Promise<PinnedKeySet> {
  const http = new PeerHttpClient({ connectTimeoutMs: 10_000, headersTimeoutMs: 60_000, bodyTimeoutMs: 60_000, deadlineMs: 120_000, maxBodyBytes: 4 * 1024 * 1024 });
  const keysUrl = `${url}/v1/feeds/${encodeURIComponent(publisher)}/keys`;
  let body: unknown;
  try {
    body = await http.getJson(keysUrl);
  } catch (err) {
    if (isSpamxError(err, 'PEER_HTTP_ERROR') && err.details?.status === 404) return given;
    throw err;
  } finally {
    await http.close();
  }
  const page = KeysPageSchema.safeParse(body);
  if (!page.success || page.data.publisher !== publisher) throw new SpamxError('PEER_BAD_RESPONSE', `${redactCredentials(keysUrl)} is not a list of key statements`);
  const { history } = verifyKeyChain(page.data.statements, { publisher, pinned: given, held: [], history: EMPTY_KEY_HISTORY });
  return keySetOf(history, given);
}
