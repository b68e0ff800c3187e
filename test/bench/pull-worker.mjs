/**
 * One measured pull, in its own process so its peak RSS is the puller's alone, running the
 * compiled build as a deployed daemon does (src/cli/compiled.mjs; the bench builds it first):
 * `node pull-worker.mjs DATA_DIR PEER_ID` prints {entries, ms, projectMs, maxRssMb} as JSON.
 */
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { SpamxNode } from '../../.build/daemon.js';

const [dataDir, peerId] = process.argv.slice(2);
const node = await SpamxNode.create({ dataDir, logger: pino({ level: 'warn' }, pino.destination(2)) });
await node.start(); // as the daemon runs: listening, reader thread started
const started = performance.now();
const report = await node.pull(peerId);
const ms = performance.now() - started;
// The pull's peak, before projecting: VmHWM, not getrusage (print-max-rss.mjs says why).
const maxRssMb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) / 1024;
// What follows a pull before subscribers see it: projecting the effective list (issue 3's view).
const projectStarted = performance.now();
node.project();
const projectMs = performance.now() - projectStarted;
await node.destroy();
if (!report?.ok) {
  process.stderr.write(`pull failed: ${JSON.stringify(report)}\n`);
  process.exit(1);
}
process.stdout.write(
  `${JSON.stringify({ entries: report.listed + report.delisted + report.refused, batches: report.batches, ms, projectMs, maxRssMb })}\n`,
);
