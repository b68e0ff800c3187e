// `npm run build`, also run by `npm ci` through `prepare`: see compiled.mjs.
import { existsSync } from 'node:fs';
import { build, TSC } from './compiled.mjs';

if (existsSync(TSC)) {
  build();
  await prebuildOrigins();
} else console.warn('spamx: typescript is not installed (production install?); spamx will run from its sources through tsx');

/**
 * The default origin tables built once from the pinned packages' CSVs and saved in .build/
 * (src/node-files/origin-cache.ts), by the code just compiled: a node then loads them in a few
 * milliseconds instead of parsing 41 MB. Skipped when the saved file is current. A failure is
 * one line of warning and no more: nodes parse the CSVs as they would without the file.
 */
async function prebuildOrigins() {
  try {
    const { prebuildDefaultOrigins } = await import('../../.build/node-files/origin-cache.js');
    const started = Date.now();
    const { written, bytes } = prebuildDefaultOrigins();
    if (written) console.log(`spamx: prebuilt the default origin tables (.build/origins-default.bin, ${(bytes / 1e6).toFixed(1)} MB, ${Date.now() - started} ms)`);
  } catch (err) {
    console.warn(`spamx: the default origin tables were not prebuilt (${String(err?.message ?? err).split('\n')[0]}); nodes will parse the origin CSV files at start`);
  }
}
