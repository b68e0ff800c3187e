import { verify } from 'node:crypto';
import { pino } from 'pino';
import { SpamxNode } from '../../src/daemon.js';
import { PeerHttpClient } from '../../src/ingest/http-client.js';
import { auditFeed } from '../../src/audit/audit-feed.js';
import { transparencyOptions } from '../../src/cli/commands/audit-options.js';
import { pinKeys } from '../../src/verify/pinned-keys.js';
import { initTestNode } from '../helpers/nodes.js';
import { spawnServe } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';
import { median, publicAddresses } from './bench-data.js';

const BATCHES = 10_000;

/**
 * `spamx audit` of a 10,000-batch feed of small batches (two entries each) served by a real
 * `spamx serve` in its own process: every page fetched, every batch verified (JWS checks,
 * signature, payload, seq and prev), the tree recomputed and checked against the signed
 * checkpoint; in batches/s. The baseline, in the same run: `crypto.verify` alone over the same
 * 10,000 signatures with their signing inputs already decoded, one after another. Target ≥ 0.5×.
 */
export async function auditBench(runs: number): Promise<void> {
  const tmp = tempDir('spamx-bench-audit-');
  try {
    const dir = await initTestNode(tmp.path, { id: 'jp-dekyo' });
    const node = await SpamxNode.create({ dataDir: dir, logger: pino({ level: 'warn' }) });
    const addresses = publicAddresses(2 * BATCHES, 11);
    let jws: string[];
    try {
      // Setting up, not measured: without an fsync per batch 10,000 publishes take seconds.
      node.store.db.pragma('synchronous = OFF');
      for (let b = 0; b < BATCHES; b++) {
        node.reportText(`${addresses[2 * b]}\n${addresses[2 * b + 1]}\n`);
        await node.publish();
      }
      jws = node.store.prepare("SELECT text FROM batch_parts WHERE publisher = 'jp-dekyo' ORDER BY seq, part").pluck().all() as string[]; // one part each: small batches
    } finally {
      await node.destroy();
    }
    const keys = await pinKeys({ keys: node.descriptor().keys.keys.filter((k) => k.use !== 'enc') }, 'bench'); // signing keys only
    const key = [...keys.values()][0]!.keyObject;
    const signed = jws.map((j) => {
      const dot = j.lastIndexOf('.');
      return [Buffer.from(j.slice(0, dot)), Buffer.from(j.slice(dot + 1), 'base64url')] as const;
    });
    const server = await spawnServe(dir);
    const http = new PeerHttpClient({ connectTimeoutMs: 10_000, headersTimeoutMs: 60_000, bodyTimeoutMs: 60_000, deadlineMs: 600_000, maxBodyBytes: 49 << 20 });
    try {
      const options = transparencyOptions({ 'checkpoint-key': node.checkpointKey }, 'jp-dekyo', keys);
      const auditOnce = async () => {
        const started = performance.now();
        const result = await auditFeed(http, { url: server.url, publisher: 'jp-dekyo', keys }, options);
        if (result.batches.head.size !== BATCHES || !result.checks.every((c) => c.ok)) throw new Error('audit did not verify the whole feed');
        return BATCHES / ((performance.now() - started) / 1000);
      };
      const rawOnce = () => {
        const started = performance.now();
        for (const [input, signature] of signed) if (!verify(null, input, key, signature)) throw new Error('bad signature');
        return BATCHES / ((performance.now() - started) / 1000);
      };
      await auditOnce(); // warm up both paths (JIT, connections, the server's page cache)
      rawOnce();
      const audits: number[] = [];
      const raws: number[] = [];
      for (let run = 0; run < runs; run++) {
        raws.push(rawOnce());
        audits.push(await auditOnce());
      }
      const a = median(audits);
      const r = median(raws);
      console.log(
        `audit of a ${fmt(BATCHES)}-batch feed over HTTP: ${fmt(a)} batches/s, raw crypto.verify ${fmt(r)} signatures/s, ` +
          `ratio ${(a / r).toFixed(2)}x (target >= 0.5x); medians of ${runs}`,
      );
    } finally {
      await http.close();
      await server.stop();
    }
  } finally {
    tmp.cleanup();
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
