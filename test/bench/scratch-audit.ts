import { auditBench } from './audit-bench.js';
await auditBench(3);
