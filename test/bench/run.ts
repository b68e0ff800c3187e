/**
 * `npm run bench`: every benchmark, each with its baseline measured in the same run, medians
 * printed with the ratio to the baseline. BENCH_RUNS sets the repetitions (default 3). The soak
 * run comes last: two phases of SOAK_SECONDS each (default 600); BENCH_SOAK=0 leaves it out.
 */
import { build } from '../../src/cli/compiled.mjs';
import { auditBench } from './audit-bench.js';
import { dnsblBench } from './dnsbl-bench.js';
import { exportBench } from './export-bench.js';
import { firstMinuteBench } from './first-minute-bench.js';
import { lookupBench } from './lookup-bench.js';
import { mailBench } from './mail-bench.js';
import { mirrorBench } from './mirror-bench.js';
import { originBench } from './origin-bench.js';
import { originFilterBench } from './origin-filter-bench.js';
import { proofBench } from './proof-bench.js';
import { pullBench } from './pull-bench.js';
import { reportBench } from './report-bench.js';
import { sealedBench } from './sealed-bench.js';
import { signedRequestBench } from './signed-request-bench.js';
import { soakBench } from './soak-bench.js';
import { zoneBench } from './zone-bench.js';

// Daemons and pullers run compiled, as deployed (src/cli/compiled.mjs).
build();
const runs = Number(process.env.BENCH_RUNS ?? 3);
console.log(`spamx benchmarks, node ${process.version}, ${runs} runs each (medians)`);
await pullBench(runs);
await signedRequestBench(runs);
await sealedBench(runs);
await dnsblBench(runs);
await lookupBench(runs);
await firstMinuteBench(runs);
await exportBench(runs);
await proofBench(runs);
await auditBench(runs);
await originBench(runs);
await originFilterBench(runs);
await reportBench(runs);
await mailBench(runs);
await mirrorBench(runs);
await zoneBench(runs);
if (process.env.BENCH_SOAK !== '0') await soakBench(runs);
