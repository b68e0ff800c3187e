import { spawnSync } from 'node:child_process';
import { median } from './bench-data.js';

export interface Measured {
  readonly seconds: number;
  readonly rssMb: number;
}

/**
 * Runs a whole process started with `--import print-max-rss.mjs`: its wall time and peak RSS.
 * `ok`, when given, checks what it printed; a failed run throws.
 */
export function measureProcess(argv: readonly string[], ok?: (stdout: string) => boolean): Measured {
  const started = performance.now();
  const r = spawnSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 << 20 });
  const seconds = (performance.now() - started) / 1000;
  const kb = /max-rss-kb (\d+)/.exec(r.stderr)?.[1];
  let good = true;
  try {
    good = ok === undefined || ok(r.stdout);
  } catch {
    good = false;
  }
  if (r.status !== 0 || kb === undefined || !good) {
    throw new Error(`${argv.slice(3, 8).join(' ')} failed (${r.status}): ${r.stdout.slice(0, 500)} ${r.stderr.slice(0, 500)}`);
  }
  return { seconds, rssMb: Number(kb) / 1024 };
}

/** The medians of several runs' time and peak RSS. */
export function medianMeasured(ms: readonly Measured[]): Measured {
  return { seconds: median(ms.map((m) => m.seconds)), rssMb: median(ms.map((m) => m.rssMb)) };
}
