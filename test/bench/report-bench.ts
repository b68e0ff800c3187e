import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initTestNode } from '../helpers/nodes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { publicAddresses } from './bench-data.js';
import { measureProcess, medianMeasured, type Measured } from './measure-process.js';

const BIN = fileURLToPath(new URL('../../src/cli/bin.mjs', import.meta.url));
const PRINT_MAX_RSS = fileURLToPath(new URL('./print-max-rss.mjs', import.meta.url));
const LINES = 500_000;
/** The baseline: the same file read line by line by Node alone, doing nothing with the lines. */
const LINE_READER = `
const { createInterface } = require('node:readline');
const { createReadStream } = require('node:fs');
let n = 0;
createInterface({ input: createReadStream(process.argv[1]), crlfDelay: Infinity })
  .on('line', (l) => { if (l) n++; })
  .on('close', () => console.log(n));
`;

/**
 * Reports of 500,000 lines (issue 15, item 4): `spamx report FILE` and then `spamx publish` of
 * 500,000 public unicast addresses, each as a whole process, wall time and peak RSS (VmHWM,
 * print-max-rss.mjs); in the same run the baseline, the same file read by a bare `node -e`
 * line reader. Target: each spamx process under 150 MB. Medians of `runs`, each on a fresh node.
 */
export async function reportBench(runs: number): Promise<void> {
  const tmp = tempDir('spamx-bench-report-');
  try {
    const file = join(tmp.path, 'report-500k.txt');
    writeFileSync(file, `${publicAddresses(LINES, 15).join('\n')}\n`);
    const results = { baseline: [] as Measured[], report: [] as Measured[], publish: [] as Measured[] };
    for (let run = 0; run < runs; run++) {
      const dir = await initTestNode(tmp.path, { id: `bench-report-${run}` });
      results.baseline.push(measureProcess([process.execPath, '--import', PRINT_MAX_RSS, '-e', LINE_READER, file], (out) => out === `${LINES}\n`));
      results.report.push(measureProcess([process.execPath, '--import', PRINT_MAX_RSS, BIN, 'report', '--data', dir, file], (out) => out === `queued ${LINES}, refused 0\n`));
      results.publish.push(measureProcess([process.execPath, '--import', PRINT_MAX_RSS, BIN, 'publish', '--data', dir]));
    }
    const base = medianMeasured(results.baseline);
    console.log(`reports of ${fmt(LINES)} lines: baseline (node line reader) ${base.seconds.toFixed(2)} s, peak RSS ${base.rssMb.toFixed(0)} MB; medians of ${runs}`);
    for (const name of ['report', 'publish'] as const) {
      const s = medianMeasured(results[name]);
      console.log(
        `reports of ${fmt(LINES)} lines: spamx ${name} ${s.seconds.toFixed(2)} s (${(s.seconds / base.seconds).toFixed(1)}x the line reader), ` +
          `peak RSS ${s.rssMb.toFixed(0)} MB (${(s.rssMb / base.rssMb).toFixed(1)}x; target < 150 MB)`,
      );
    }
  } finally {
    tmp.cleanup();
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

// `npx tsx test/bench/report-bench.ts` runs it alone (BENCH_RUNS, default 3); it does not build
// first as `npm run bench` does: run `npm run build` before, or the sources run through tsx.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await reportBench(Number(process.env.BENCH_RUNS ?? 3));
}
