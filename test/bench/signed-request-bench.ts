import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { SpamxNode } from '../../src/daemon.js';
import { initTestNode, pinTestPeer, PUBLIC_FEEDS } from '../helpers/nodes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { median, publicAddresses } from './bench-data.js';

const CLIENT = fileURLToPath(new URL('./signed-get.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url));
const REQUESTS = 2_000;

/**
 * What an RFC 9421 signature adds to a federation request (issue 16: "under 1 ms per request"):
 * the same `GET /v1/feeds/{p}/batches/1` (a 1,000-entry batch) sent 2,000 times in a row on one
 * connection by a client in its own process, unsigned and signed by a pinned partner's key, to
 * one node with `federation.access: "public"` — which serves both, and checks every signature it
 * is sent (key lookup, `created`, Ed25519, the replay cache) exactly as a partners-only node does.
 * Latency medians include the client's signing; the node's CPU per request is its process's
 * user+system time over the requests. Baseline: the unsigned requests, in the same run.
 */
export async function signedRequestBench(runs: number): Promise<void> {
  const tmp = tempDir('spamx-bench-signed-');
  const nodes: SpamxNode[] = [];
  try {
    for (const id of ['jp-dekyo', 'cn-isc']) {
      const node = await SpamxNode.create({ dataDir: await initTestNode(tmp.path, { id, config: PUBLIC_FEEDS }), logger: pino({ level: 'warn' }) });
      await node.start();
      nodes.push(node);
    }
    const [jp, cn] = nodes as [SpamxNode, SpamxNode];
    await pinTestPeer(jp, cn);
    jp.reportText(publicAddresses(1_000, 11).join('\n'));
    await jp.publish();
    const url = `${jp.url}/v1/feeds/jp-dekyo/batches/1`;
    const keyFile = join(cn.config.paths.dir, 'keys', 'ed25519.private.jwk');
    const client = async (signed: boolean) => {
      const cpu = process.cpuUsage();
      const args = [TSX, CLIENT, url, String(REQUESTS), ...(signed ? [keyFile, cn.identity.kid] : [])];
      const r = JSON.parse((await promisify(execFile)(process.execPath, args)).stdout) as { medianMs: number; p99Ms: number; signUsMedian: number; errors: number };
      if (r.errors > 0) throw new Error(`${r.errors} of ${REQUESTS} ${signed ? 'signed' : 'unsigned'} requests failed`);
      const used = process.cpuUsage(cpu);
      return { ...r, cpuUs: (used.user + used.system) / REQUESTS };
    };
    await client(false); // warm up both paths
    await client(true);
    const plain: Awaited<ReturnType<typeof client>>[] = [];
    const signed: typeof plain = [];
    for (let run = 0; run < runs; run++) {
      plain.push(await client(false));
      signed.push(await client(true));
    }
    const m = (xs: typeof plain, f: (r: (typeof plain)[number]) => number) => median(xs.map(f));
    const addedMs = m(signed, (r) => r.medianMs) - m(plain, (r) => r.medianMs);
    console.log(
      `signed federation request: GET one 1,000-entry batch ${m(signed, (r) => r.medianMs).toFixed(3)} ms signed, ${m(plain, (r) => r.medianMs).toFixed(3)} ms unsigned ` +
        `(median latency), added ${addedMs.toFixed(3)} ms per request (target < 1 ms); signing ${m(signed, (r) => r.signUsMedian).toFixed(0)} µs in the client; ` +
        `node CPU per request ${m(signed, (r) => r.cpuUs).toFixed(0)} µs signed, ${m(plain, (r) => r.cpuUs).toFixed(0)} µs unsigned, ratio ${(m(plain, (r) => r.medianMs) / m(signed, (r) => r.medianMs)).toFixed(2)}x; ` +
        `${REQUESTS} requests a run, medians of ${runs}`,
    );
  } finally {
    await Promise.all(nodes.map((n) => n.destroy()));
    tmp.cleanup();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await signedRequestBench(Number(process.env.BENCH_RUNS ?? 3));
