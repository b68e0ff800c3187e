import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadConfig } from '../../src/config/config.js';
import { consistencyProof, inclusionProof, nodesForAppend, type SubtreeReader } from '../../src/core/merkle.js';
import { openStore } from '../../src/store/open-store.js';
import { subtreeReader } from '../../src/store/tree-store.js';
import { initTestNode, startTestNode } from '../helpers/nodes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { median, prng } from './bench-data.js';

const LEAVES = 1_000_000;
const PROOFS = 20_000;
const LOAD = fileURLToPath(new URL('./http-load.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url));

/**
 * RFC 9162 proofs from a store holding a 1,000,000-leaf log (its `tree_nodes` filled with
 * `nodesForAppend` in one transaction, as appending a million batches would leave it):
 * inclusion proofs of random leaves and consistency proofs from random sizes, both to the full
 * size, in proofs/s. The baseline, in the same run: the same proofs from the same hashes held in
 * memory (the algorithm with free reads). Then `GET …/proof/inclusion` over HTTP against a bare
 * hono route on the same server, both driven by the lookup benchmark's load generator.
 */
export async function proofBench(runs: number): Promise<void> {
  const tmp = tempDir('spamx-bench-proof-');
  try {
    const dir = await initTestNode(tmp.path, { id: 'jp-dekyo' });
    const store = openStore(loadConfig(dir).paths.database);
    // The hashes also kept in memory, 32 bytes each in one buffer per level, for the baseline.
    const levels = Array.from({ length: 21 }, (_, level) => Buffer.alloc(32 * Math.floor(LEAVES / 2 ** level)));
    const memory: SubtreeReader = (level, index) => levels[level]!.subarray(32 * index, 32 * index + 32);
    const fillStarted = performance.now();
    const insert = store.db.prepare("INSERT INTO tree_nodes (publisher, level, idx, hash) VALUES ('jp-dekyo', ?, ?, ?)");
    store.db.transaction(() => {
      for (let i = 0; i < LEAVES; i++) {
        const leaf = createHash('sha256').update(`leaf ${i}`).digest();
        for (const [level, idx, hash] of nodesForAppend(memory, i, leaf)) {
          levels[level]!.set(hash, 32 * idx);
          insert.run(level, idx, hash);
        }
      }
      store.db.prepare("INSERT INTO feeds (publisher, size, head, updated_at) VALUES ('jp-dekyo', ?, NULL, 0)").run(LEAVES);
    })();
    const fillSeconds = (performance.now() - fillStarted) / 1000;
    const next = prng(5);
    const seqs = Array.from({ length: PROOFS }, () => 1 + Math.floor(next() * LEAVES));
    const time = (fn: () => void) => {
      const started = performance.now();
      fn();
      return PROOFS / ((performance.now() - started) / 1000);
    };
    const inclusion = (read: SubtreeReader) => () => seqs.forEach((s) => inclusionProof(read, s - 1, LEAVES));
    const consistency = (read: SubtreeReader) => () => seqs.forEach((s) => consistencyProof(read, s, LEAVES));
    const stored = subtreeReader(store, 'jp-dekyo');
    const results = { inclusion: [] as number[], inclusionMem: [] as number[], consistency: [] as number[], consistencyMem: [] as number[] };
    time(inclusion(stored)); // warm up the page cache and the JIT
    for (let run = 0; run < runs; run++) {
      results.inclusion.push(time(inclusion(stored)));
      results.inclusionMem.push(time(inclusion(memory)));
      results.consistency.push(time(consistency(stored)));
      results.consistencyMem.push(time(consistency(memory)));
    }
    store.close();
    console.log(`proofs: ${fmt(LEAVES)}-leaf tree_nodes filled in ${fillSeconds.toFixed(1)} s (one transaction, prepared insert)`);
    for (const kind of ['inclusion', 'consistency'] as const) {
      const s = median(results[kind]);
      const m = median(results[`${kind}Mem`]);
      console.log(`proofs: ${kind} from the store ${fmt(s)} proofs/s, from memory ${fmt(m)} proofs/s, ratio ${(s / m).toFixed(2)}x; medians of ${runs}`);
    }
    await httpProofs(dir, tmp.path, seqs, runs);
  } finally {
    tmp.cleanup();
  }
}

/** `GET /v1/feeds/{p}/proof/inclusion` req/s against `/healthz` on the same node (as the lookup benchmark). */
async function httpProofs(dir: string, root: string, seqs: readonly number[], runs: number): Promise<void> {
  const node = await startTestNode(dir);
  try {
    const urls = join(root, 'proof-urls.txt');
    writeFileSync(urls, seqs.map((s) => `${node.url}/v1/feeds/jp-dekyo/proof/inclusion?seq=${s}&size=${LEAVES}`).join('\n'));
    const load = async (target: string) =>
      JSON.parse((await promisify(execFile)(process.execPath, [TSX, LOAD, '5', '32', target], { maxBuffer: 1 << 20 })).stdout) as { rps: number; errors: number };
    await load(`${node.url}/healthz`);
    const bare: number[] = [];
    const proofs: number[] = [];
    for (let run = 0; run < runs; run++) {
      for (const [into, target] of [[bare, `${node.url}/healthz`], [proofs, `@${urls}`]] as const) {
        const r = await load(target);
        if (r.errors > 0) throw new Error(`load generator saw ${r.errors} errors on ${target}`);
        into.push(r.rps);
      }
    }
    const p = median(proofs);
    const b = median(bare);
    console.log(`proofs: GET /proof/inclusion ${fmt(p)} req/s, bare hono route ${fmt(b)} req/s, ratio ${(p / b).toFixed(2)}x; medians of ${runs}`);
  } finally {
    await node.destroy();
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
