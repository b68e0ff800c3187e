import { auditBench } from './audit-bench.js';
import { proofBench } from './proof-bench.js';
await proofBench(3);
await auditBench(3);
