import { generateKeyPairSync } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { batchPayloadLength, batchPayloadPieces } from '../../src/core/batch-payload-bytes.js';
import type { Entry } from '../../src/core/entry.js';
import { ed25519Thumbprint } from '../../src/core/jwk-thumbprint.js';
import { x25519Thumbprint, type X25519Jwk } from '../../src/core/key-statement.js';
import { parsePrefix } from '../../src/core/prefix.js';
import { DAY_MS } from '../../src/core/time.js';
import { decodeBatch, type DecodeRequest } from '../../src/ingest/decode-batch.js';
import { sealInner, signSealedLeaf } from '../../src/ingest/seal-batch.js';
import { signBatchLeaf } from '../../src/ingest/sign-batch.js';
import { median, publicAddresses } from './bench-data.js';

const ENTRIES = 100_000;
const PUBLISHER = 'jp-dekyo';

/**
 * Sealed batches (issue 16: "sealing and opening a 100,000-entry batch: at least 0.5x the speed of
 * signing and verifying the same batch unsealed, in the same run"). In one process, the same
 * 100,000 entries:
 * - unsealed: the payload written and signed into its JWS (sign-batch.ts signBatchLeaf, as a
 *   publish does), then verified and its entries evaluated as the feed-reader thread does
 *   (decode-batch.ts decodeBatch, its messages discarded);
 * - sealed to two partners: the inner JWS signed the same way, encrypted with jose's
 *   GeneralEncrypt (ECDH-ES+A256KW per recipient, A256GCM) and wrapped in the signed outer batch
 *   (seal-batch.ts); then opened by one recipient on the same decodeBatch path: the outer JWS
 *   verified, the JWE decrypted, the digest checked, the inner JWS verified and its entries
 *   evaluated.
 * Medians of `runs`; the ratio is unsealed time over sealed time.
 */
export async function sealedBench(runs: number): Promise<void> {
  const now = Date.parse('2026-12-07T00:00:00Z');
  const entries: Entry[] = publicAddresses(ENTRIES, 16).map((a) => {
    const p = parsePrefix(a);
    if (!p.ok) throw new Error(a);
    return { op: 'list', prefix: p.prefix, firstSeen: now - 3_600_000, lastSeen: now, reports: 3, expires: now + 30 * DAY_MS, category: 'spam-origin' };
  });
  const signing = generateKeyPairSync('ed25519');
  const publicJwk = { kty: 'OKP', crv: 'Ed25519', x: signing.publicKey.export({ format: 'jwk' }).x! } as const;
  const kid = ed25519Thumbprint(publicJwk);
  const key = { kid, signingKey: signing.privateKey };
  const recipients = ['cn-isc', 'kr-kisa'].map((id) => {
    const pair = generateKeyPairSync('x25519');
    const jwk: X25519Jwk = { kty: 'OKP', crv: 'X25519', x: pair.publicKey.export({ format: 'jwk' }).x! };
    return { id, kid: x25519Thumbprint(jwk), jwk, privateKey: pair.privateKey };
  });
  const head = { publisher: PUBLISHER, seq: 1, prev: null, issuedAt: now, tlp: 'amber' as const };
  const request = (leafInput: Buffer, opening?: DecodeRequest['opening']): DecodeRequest => ({
    jws: { leafInput },
    publisher: PUBLISHER,
    keys: [{ kid, jwk: publicJwk }],
    head: { size: 0, head: null },
    policy: { minPrefixLength: { 4: 8, 6: 19 }, allowlist: [], maxExpiryMs: 90 * DAY_MS },
    storeRows: 0,
    ...(opening ? { opening } : {}),
  });
  const decode = (req: DecodeRequest): number => {
    let accepted = 0;
    decodeBatch(req, (m) => {
      if (m.type === 'entries') accepted += m.entries.count;
    });
    return accepted;
  };
  const sign = () => signBatchLeaf(batchPayloadPieces(head, entries), batchPayloadLength(head, entries).bytes, key);

  const plainRun = () => {
    const t0 = performance.now();
    const leaf = sign();
    const t1 = performance.now();
    const accepted = decode(request(leaf));
    const t2 = performance.now();
    if (accepted !== ENTRIES) throw new Error(`unsealed: ${accepted} entries accepted`);
    return { sign: t1 - t0, verify: t2 - t1, bytes: leaf.length - 1 };
  };
  const sealedRun = async () => {
    const t0 = performance.now();
    const inner = sign();
    const ta = performance.now();
    const sealed = sealInner(inner.subarray(1), new Map(recipients.map((r) => [r.id, { kid: r.kid, jwk: r.jwk }])), 'amber');
    const tb = performance.now();
    const outer = signSealedLeaf(head, sealed, key);
    const t1 = performance.now();
    if (process.env.SEALED_BENCH_DETAIL) console.log(`  sign inner ${(ta - t0).toFixed(0)} ms, encrypt ${(tb - ta).toFixed(0)} ms, sign outer ${(t1 - tb).toFixed(0)} ms`);
    const me = recipients[0]!;
    const accepted = decode(request(outer, { self: me.id, keys: [{ kid: me.kid, privateKey: me.privateKey }] }));
    const t2 = performance.now();
    if (process.env.SEALED_BENCH_DETAIL) {
      const t3 = performance.now();
      decode(request(outer, { self: 'zz-nobody', keys: [] }));
      console.log(`  outer only (a non-recipient): ${(performance.now() - t3).toFixed(0)} ms`);
    }
    if (accepted !== ENTRIES) throw new Error(`sealed: ${accepted} entries accepted on opening`);
    return { sign: t1 - t0, verify: t2 - t1, bytes: outer.length - 1 };
  };
  // Both paths once before timing: V8 compiles the hot functions, jose loads WebCrypto.
  plainRun();
  await sealedRun();
  const plain: ReturnType<typeof plainRun>[] = [];
  const sealed: typeof plain = [];
  for (let run = 0; run < runs; run++) {
    plain.push(plainRun());
    sealed.push(await sealedRun());
    (globalThis as { gc?: () => void }).gc?.();
  }
  const m = (xs: typeof plain, f: (r: (typeof plain)[number]) => number) => median(xs.map(f));
  const plainMs = m(plain, (r) => r.sign + r.verify);
  const sealedMs = m(sealed, (r) => r.sign + r.verify);
  const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
  console.log(
    `sealed batch, ${ENTRIES.toLocaleString('en')} entries to 2 recipients: seal ${m(sealed, (r) => r.sign).toFixed(0)} ms + open ${m(sealed, (r) => r.verify).toFixed(0)} ms = ${sealedMs.toFixed(0)} ms ` +
      `(outer JWS ${mb(sealed[0]!.bytes)}); unsealed: sign ${m(plain, (r) => r.sign).toFixed(0)} ms + verify ${m(plain, (r) => r.verify).toFixed(0)} ms = ${plainMs.toFixed(0)} ms ` +
      `(JWS ${mb(plain[0]!.bytes)}); ratio ${(plainMs / sealedMs).toFixed(2)}x (target >= 0.5x); medians of ${runs}`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await sealedBench(Number(process.env.BENCH_RUNS ?? 3));
