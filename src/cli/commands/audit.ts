import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { describeError, SpamxError } from '../../core/errors.js';
import { formatTimestamp } from '../../core/time.js';
import { loadConfig } from '../../config/config.js';
import { PeerHttpClient } from '../../ingest/http-client.js';
import { pinKeys } from '../../verify/pinned-keys.js';
import { verifyBatch, type FeedHead } from '../../verify/verify-batch.js';
import { parse, UsageError } from '../args.js';

const PageSchema = z.object({
  publisher: z.string(),
  batches: z.array(z.object({ seq: z.number().int(), jws: z.string() })),
  next: z.number().int().nullable(),
});

const MiB = 1024 * 1024;

/**
 * `spamx audit URL PUBLISHER --key JWK-FILE`: fetches a whole feed from any node and verifies
 * every batch (signature, header, seq, prev) with the given key; stops at the first bad batch,
 * naming its seq and the reason.
 */
export async function audit(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { key: { type: 'string' }, data: { type: 'string' } }, { min: 2, max: 2 });
  if (!values.key) throw new UsageError('--key JWK-FILE is required');
  const [url, publisher] = [positionals[0]!.replace(/\/+$/, ''), positionals[1]!];
  const keys = await pinKeys(toJwks(JSON.parse(readFileSync(values.key, 'utf8'))), values.key);
  const limits = values.data
    ? loadConfig(values.data).pull
    : { connectTimeoutMs: 10_000, headersTimeoutMs: 60_000, bodyTimeoutMs: 60_000, deadlineMs: 600_000, maxBodyBytes: 49 * MiB };
  const http = new PeerHttpClient(limits);
  let head: FeedHead = { size: 0, head: null };
  let entries = 0;
  let first: number | undefined;
  let last: number | undefined;
  try {
    for (;;) {
      const pageUrl = `${url}/v1/feeds/${encodeURIComponent(publisher)}/batches?after=${head.size}`;
      const page = PageSchema.safeParse(await http.getJson(pageUrl));
      if (!page.success || page.data.publisher !== publisher) throw new SpamxError('PEER_BAD_RESPONSE', `${pageUrl} is not a batch page`);
      for (const { seq, jws } of page.data.batches) {
        try {
          const b = verifyBatch(jws, { publisher, keys, head });
          head = { size: b.seq, head: b.leafHash };
          entries += b.payload.entries.length;
          first ??= b.issuedAt;
          last = b.issuedAt;
        } catch (err) {
          process.stderr.write(`spamx audit: ${publisher} seq ${head.size + 1} (served as ${seq}) is bad: ${describeError(err)}\n`);
          return 1;
        }
      }
      if (page.data.next === null || page.data.batches.length === 0) break;
    }
  } finally {
    await http.close();
  }
  process.stdout.write(
    `${publisher} at ${url}: ${head.size} batches verified, ${entries} entries\n` +
      `  head leaf hash: ${head.head ?? '-'}\n` +
      (first !== undefined ? `  issued ${formatTimestamp(first)} .. ${formatTimestamp(last!)}\n` : '') +
      `  every signature, header, seq and prev link checks out with key(s) ${[...keys.keys()].join(', ')}\n`,
  );
  return 0;
}

/** Accepts a JWK, a JWKS, or a whole descriptor (`{"keys":{"keys":[…]}}`). */
function toJwks(value: unknown): unknown {
  const v = value as { keys?: unknown; kty?: unknown };
  if (v && typeof v === 'object' && 'kty' in v) return { keys: [v] };
  if (v && typeof v === 'object' && v.keys && !Array.isArray(v.keys)) return v.keys;
  return v;
}
