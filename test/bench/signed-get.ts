/**
 * The client side of the signed-request benchmark, run as its own process:
 * `tsx signed-get.ts URL COUNT [PRIVATE_JWK_FILE KID]` sends COUNT sequential GETs of URL on one
 * connection, each with its own `n` query parameter (an Ed25519 signature is deterministic, so
 * the same request signed twice in one second would be refused as a replay), signed per RFC 9421
 * as a spamx node signs when a key is given. Prints {medianMs, p99Ms, signUsMedian, errors}.
 */
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Pool } from 'undici';
import { createdAt, signRequest } from '../../src/core/http-signature.js';

const [url, count, keyFile, kid] = process.argv.slice(2);
const target = new URL(url!);
const key = keyFile ? createPrivateKey({ key: JSON.parse(readFileSync(keyFile, 'utf8')) as import('node:crypto').JsonWebKey, format: 'jwk' }) : undefined;
const pool = new Pool(target.origin, { connections: 1 });
const latencies: number[] = [];
const signing: number[] = [];
let errors = 0;
for (let i = 0; i < Number(count); i++) {
  const path = `${target.pathname}${target.search ? `${target.search}&` : '?'}n=${i}`;
  const started = performance.now();
  let headers: Record<string, string> = {};
  if (key) {
    const h = signRequest({ method: 'GET', targetUri: `${target.origin}${path}`, created: createdAt(Date.now()), kid: kid!, privateKey: key });
    headers = { 'signature-input': h.signatureInput, signature: h.signature };
    signing.push((performance.now() - started) * 1000);
  }
  const res = await pool.request({ method: 'GET', path, headers });
  await res.body.dump();
  if (res.statusCode !== 200) errors++;
  latencies.push(performance.now() - started);
}
await pool.close();
const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : 0);
const sorted = [...latencies].sort((a, b) => a - b);
process.stdout.write(`${JSON.stringify({ medianMs: median(latencies), p99Ms: sorted[Math.floor(sorted.length * 0.99)] ?? 0, signUsMedian: median(signing), errors })}\n`);
