import { renameSync, writeFileSync } from 'node:fs';
import { describeError } from '../../core/errors.js';
import { formatTimestamp } from '../../core/time.js';
import { loadConfig } from '../../config/config.js';
import { PeerHttpClient } from '../../ingest/http-client.js';
import { parse, UsageError } from '../args.js';
import { BadBatchError } from './audit/audit-batches.js';
import { auditFeed, type FeedAudit } from './audit/audit-feed.js';
import { TRANSPARENCY_OPTIONS, transparencyOptions } from './audit/audit-options.js';
import { readPublisherKeys } from './input-files.js';
import { auditKeys } from './audit/audit-keys.js';

const MiB = 1024 * 1024;

/**
 * `spamx audit URL PUBLISHER --key JWK-FILE`: fetches a whole feed from any node and verifies
 * every batch (signature, header, seq, prev) with the given key; stops at the first bad batch,
 * naming its seq and the reason. With any transparency option it also checks the node's signed
 * checkpoint against the tree recomputed from the batches, `--since` a checkpoint saved before,
 * and the witnesses' cosignatures against `--quorum` (see audit/audit-feed.ts).
 */
export async function audit(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { key: { type: 'string' }, data: { type: 'string' }, ...TRANSPARENCY_OPTIONS }, { min: 2, max: 2 });
  if (!values.key) throw new UsageError('--key JWK-FILE is required');
  const [url, publisher] = [positionals[0]!.replace(/\/+$/, ''), positionals[1]!];
  const keys = await auditKeys(url, publisher, await readPublisherKeys(values.key)); // follows key rotations
  const options = transparencyOptions(values, publisher, keys);
  const limits = values.data
    ? loadConfig(values.data).pull
    : { connectTimeoutMs: 10_000, headersTimeoutMs: 60_000, bodyTimeoutMs: 60_000, deadlineMs: 600_000, maxBodyBytes: 49 * MiB };
  const http = new PeerHttpClient(limits);
  let result: FeedAudit;
  try {
    result = await auditFeed(http, { url, publisher, keys }, options);
  } catch (err) {
    if (!(err instanceof BadBatchError)) throw err;
    process.stderr.write(`spamx audit: ${publisher} seq ${err.seq} (served as ${err.servedAs}) is bad: ${describeError(err.reason)}\n`);
    return 1;
  } finally {
    await http.close();
  }
  const { head, entries, issued } = result.batches;
  const lines = [
    `${publisher} at ${url}: ${head.size} batches verified, ${entries} entries`,
    `  head leaf hash: ${head.head ?? '-'}`,
    ...(issued ? [`  issued ${formatTimestamp(issued.first)} .. ${formatTimestamp(issued.last)}`] : []),
    `  every signature, header, seq and prev link checks out with key(s) ${[...keys.keys()].join(', ')}`,
  ];
  for (const c of result.checks) lines.push(`  ${c.name}: ${c.ok ? 'ok' : 'FAILED'}: ${c.detail}`, ...(c.notes ?? []).map((n) => `    ${n}`));
  const failed = result.checks.filter((c) => !c.ok);
  if (failed.length === 0 && options?.save && result.checkpoint) {
    // Written whole or not at all: a half-written file would fail the next --since.
    writeFileSync(`${options.save}.tmp`, result.checkpoint.text);
    renameSync(`${options.save}.tmp`, options.save);
    lines.push(`  saved the checkpoint (size ${result.checkpoint.verified.checkpoint.size}) to ${options.save}; pass it as --since next time`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  for (const c of failed) process.stderr.write(`spamx audit: ${publisher}: ${c.name}: ${c.detail}\n`);
  return failed.length === 0 ? 0 : 1;
}
