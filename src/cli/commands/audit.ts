import { renameSync, writeFileSync } from 'node:fs';
import { BadBatchError } from '../../audit/audit-batches.js';
import { auditFeed, type FeedAudit } from '../../audit/audit-feed.js';
import { auditKeys } from '../../audit/audit-keys.js';
import { loadConfig } from '../../config/config.js';
import { describeError, isSpamxError, SpamxError } from '../../core/errors.js';
import { redactCredentials } from '../../core/redact-credentials.js';
import { formatTimestamp } from '../../core/time.js';
import { PeerHttpClient, type RequestSigner } from '../../ingest/http-client.js';
import { loadOwnIdentity } from '../../ingest/own-key-set.js';
import { requestSigner } from '../../ingest/request-signer.js';
import { openNodeStore } from '../../store/open-store.js';
import { UsageError, type JsonOptions } from '../args.js';
import { withProgress } from '../progress.js';
import { transparencyOptions } from './audit-options.js';
import { readPublisherKeys } from './input-files.js';

const MiB = 1024 * 1024;

export interface AuditOptions extends JsonOptions {
  readonly key?: string;
  readonly data?: string;
  readonly checkpointKey?: string;
  readonly witness?: string[];
  readonly witnessKey?: string[];
  readonly quorum?: string;
  readonly since?: string;
  readonly save?: string;
  readonly quiet?: boolean;
}

/**
 * `spamx audit URL PUBLISHER --key JWK-FILE`: fetches a whole feed from any node and verifies
 * every batch (signature, header, seq, prev) with the given key; stops at the first bad batch,
 * naming its seq and the reason. With any transparency option it also checks the node's signed
 * checkpoint against the tree recomputed from the batches, `--since` a checkpoint saved before,
 * and the witnesses' cosignatures against `--quorum` (src/audit/audit-feed.ts).
 */
export async function audit(given: string, publisher: string, o: AuditOptions): Promise<number> {
  if (!o.key) throw new UsageError('--key JWK-FILE is required');
  const url = given.replace(/\/+$/, '');
  const shownUrl = redactCredentials(url); // a partner's URL may carry user:password@
  const keys = await auditKeys(url, publisher, await readPublisherKeys(o.key)); // follows key rotations
  const flags = { 'checkpoint-key': o.checkpointKey, witness: o.witness, 'witness-key': o.witnessKey, quorum: o.quorum, since: o.since, save: o.save };
  const options = transparencyOptions(flags, publisher, keys);
  const limits = o.data
    ? loadConfig(o.data).pull
    : { connectTimeoutMs: 10_000, headersTimeoutMs: 60_000, bodyTimeoutMs: 60_000, deadlineMs: 600_000, maxBodyBytes: 49 * MiB };
  // With --data the audit's requests are signed with that node's key, as its pulls are, so a
  // publisher serving its batches to pinned partners only (federation.access) answers them.
  const http = new PeerHttpClient(limits, o.data ? await nodeSigner(o.data) : undefined);
  let result: FeedAudit;
  try {
    // A count of batches verified (the feed's size is not known until its last page).
    result = await withProgress('audit', { unit: 'batches', quiet: o.quiet || o.json }, (progress) =>
      auditFeed(http, { url, publisher, keys }, options, (v) => progress.update(v.batches)),
    );
  } catch (err) {
    if (!o.data && isSpamxError(err, 'PEER_HTTP_ERROR') && err.details?.status === 401) {
      throw new SpamxError(
        'SIGNATURE_MISSING',
        `${shownUrl} answered 401: this feed is served to pinned partners only: run the audit with --data of a node the publisher has pinned`,
      );
    }
    if (!(err instanceof BadBatchError)) throw err;
    const reason = describeError(err.reason);
    if (o.json) process.stdout.write(`${JSON.stringify({ url: shownUrl, publisher, ok: false, badBatch: { seq: err.seq, servedAs: err.servedAs, reason } }, null, 2)}\n`);
    process.stderr.write(`spamx audit: ${publisher} seq ${err.seq} (served as ${err.servedAs}) is bad: ${reason}\n`);
    return 1;
  } finally {
    await http.close();
  }
  const failed = result.checks.filter((c) => !c.ok);
  let saved: string | undefined;
  if (failed.length === 0 && options?.save && result.checkpoint) {
    // Written whole or not at all: a half-written file would fail the next --since.
    writeFileSync(`${options.save}.tmp`, result.checkpoint.text);
    renameSync(`${options.save}.tmp`, options.save);
    saved = options.save;
  }
  const { head, entries, issued } = result.batches;
  if (o.json) {
    const summary = { url: shownUrl, publisher, ok: failed.length === 0, size: head.size, head: head.head, entries, kids: [...keys.keys()] };
    const times = issued ? { issued: { first: formatTimestamp(issued.first), last: formatTimestamp(issued.last) } } : {};
    process.stdout.write(`${JSON.stringify({ ...summary, ...times, checks: result.checks, ...(saved ? { saved } : {}) }, null, 2)}\n`);
  } else {
    const lines = [
      `${publisher} at ${shownUrl}: ${head.size} batches verified, ${entries} entries`,
      `  head leaf hash: ${head.head ?? '-'}`,
      ...(issued ? [`  issued ${formatTimestamp(issued.first)} .. ${formatTimestamp(issued.last)}`] : []),
      `  every signature, header, seq and prev link checks out with key(s) ${[...keys.keys()].join(', ')}`,
    ];
    for (const c of result.checks) lines.push(`  ${c.name}: ${c.ok ? 'ok' : 'FAILED'}: ${c.detail}`, ...(c.notes ?? []).map((n) => `    ${n}`));
    if (saved) lines.push(`  saved the checkpoint (size ${result.checkpoint!.verified.checkpoint.size}) to ${saved}; pass it as --since next time`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  for (const c of failed) process.stderr.write(`spamx audit: ${publisher}: ${c.name}: ${c.detail}\n`);
  return failed.length === 0 ? 0 : 1;
}

/** Signs requests with the current key of the node in `dir` (its key may have been rotated). */
async function nodeSigner(dir: string): Promise<RequestSigner> {
  const config = loadConfig(dir);
  const store = openNodeStore(config.paths.database);
  try {
    const { kid, signingKey } = await loadOwnIdentity(config.paths, store, config.id);
    return requestSigner(() => ({ kid, key: signingKey }), Date.now);
  } finally {
    store.close();
  }
}
