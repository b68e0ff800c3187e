import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/config.js';
import { loadOriginTable } from '../../src/config/origin-files.js';
import { openBlocklist, parseBlocklistQuery } from '../../src/serve/blocklist-export.js';
import { FORMATS } from '../../src/serve/formats/index.js';
import { openStore, type Store } from '../../src/store/open-store.js';
import { initTestNode } from '../helpers/nodes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { median } from './bench-data.js';
import { blocklistPrefixes, fillEffective } from './blocklist-data.js';

const BIN = fileURLToPath(new URL('../../src/cli/bin.mjs', import.meta.url));
const PRINT_MAX_RSS = fileURLToPath(new URL('./print-max-rss.mjs', import.meta.url));
const LIST = 1_000_000;
const BIG_LIST = 10_000_000;
const NODE = { id: 'bench-export', url: 'https://spamx.example.net' };
/** The default origin data, which csv and json rows are cut by (their country and asn columns). */
const origins = loadOriginTable({ paths: { dir: '.' }, origins: { delegated: [], asn: [] } });

/**
 * Blocklist export. (1) A 1,000,000-prefix list rendered in every format to /dev/null, as
 * `spamx export` writes it (prefixes of the list per second). (2) aggregate=true against the
 * real `iprange` run on the same list as a file, in the same run; target ≥ 1.0×; the outputs are
 * compared too. (3) Peak RSS of `spamx export` child processes over a 10,000,000-row store;
 * target < 200 MB. Rows are written straight into the `effective` table (blocklist-data.ts).
 */
export async function exportBench(runs: number): Promise<void> {
  const tmp = tempDir('spamx-bench-export-');
  try {
    const store = await makeStore(tmp.path, 'list-1m', LIST);
    try {
      for (const name of FORMATS.keys()) {
        const times: number[] = [];
        let bytes = 0;
        for (let run = 0; run < runs; run++) {
          const r = exportTo('/dev/null', store, `format=${name}`);
          times.push(r.ms);
          bytes = r.bytes;
        }
        const ms = median(times);
        console.log(`export ${name}: ${fmt(LIST / (ms / 1000))} prefixes/s (${(ms / 1000).toFixed(2)} s, ${(bytes / 1e6).toFixed(0)} MB)`);
      }
      aggregateVsIprange(store, tmp.path, runs);
    } finally {
      store.close();
    }
    const big = await makeStore(tmp.path, 'list-10m', BIG_LIST);
    big.close();
    for (const args of [['--format', 'txt'], ['--format', 'txt', '--aggregate'], ['--format', 'csv']]) {
      const { rssMb, seconds } = exportRss(join(tmp.path, 'list-10m'), args);
      console.log(`export of 10,000,000 rows, spamx export ${args.join(' ')}: peak RSS ${rssMb.toFixed(0)} MB (target < 200 MB), ${seconds.toFixed(1)} s`);
    }
  } finally {
    tmp.cleanup();
  }
}

async function makeStore(root: string, id: string, rows: number): Promise<Store> {
  const dir = await initTestNode(root, { id });
  const store = openStore(loadConfig(dir).paths.database);
  const started = performance.now();
  fillEffective(store, blocklistPrefixes(rows), Date.now());
  console.log(`export: wrote ${fmt(rows)} rows into effective in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return store;
}

/** Renders the list as the CLI does (64 KiB writes) into `path`. */
function exportTo(path: string, store: Store, query: string): { ms: number; bytes: number } {
  const params = new URLSearchParams(query);
  const q = parseBlocklistQuery((n) => params.get(n) ?? undefined, (n) => params.getAll(n));
  const fd = openSync(path, 'w');
  try {
    const started = performance.now();
    const list = openBlocklist(store, q, NODE, () => origins);
    let bytes = 0;
    try {
      let buffer = '';
      for (const chunk of list.chunks) {
        buffer += chunk;
        if (buffer.length > 65_536) {
          bytes += writeSync(fd, buffer);
          buffer = '';
        }
      }
      bytes += writeSync(fd, buffer);
    } finally {
      list.close();
    }
    return { ms: performance.now() - started, bytes };
  } finally {
    closeSync(fd);
  }
}

function aggregateVsIprange(store: Store, root: string, runs: number): void {
  const input = join(root, 'list-1m.txt');
  exportTo(input, store, 'format=txt');
  const iprangeOut = join(root, 'iprange.txt');
  const oursOut = join(root, 'ours.txt');
  const iprange = (out: string) => {
    const fd = openSync(out, 'w');
    try {
      const started = performance.now();
      const r = spawnSync('iprange', [input], { stdio: ['ignore', fd, 'inherit'] });
      if (r.status !== 0) throw new Error(`iprange exited ${r.status}${r.error ? `: ${r.error.message}` : ''}`);
      return performance.now() - started;
    } finally {
      closeSync(fd);
    }
  };
  // Once each to warm the page cache and the JIT, and to check both compute the same cover.
  iprange(iprangeOut);
  exportTo(oursOut, store, 'format=txt&aggregate=true');
  const ours = readFileSync(oursOut, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  const theirs = readFileSync(iprangeOut, 'utf8').split('\n').filter(Boolean);
  // iprange prints a /32 as the bare address.
  if (ours.length !== theirs.length || ours.some((p, i) => p.replace(/\/32$/, '') !== theirs[i])) {
    throw new Error(`aggregate=true differs from iprange (${ours.length} vs ${theirs.length} lines)`);
  }
  const spamx: number[] = [];
  const baseline: number[] = [];
  // Under a second a pair, so more pairs than other benchmarks, interleaved: both see the same load.
  const pairs = Math.max(9, 3 * runs);
  for (let run = 0; run < pairs; run++) {
    baseline.push(iprange('/dev/null'));
    spamx.push(exportTo('/dev/null', store, 'format=txt&aggregate=true').ms);
  }
  const s = median(spamx);
  const b = median(baseline);
  console.log(
    `export aggregate=true of ${fmt(LIST)} prefixes into ${fmt(ours.length)}: spamx ${(s / 1000).toFixed(3)} s, iprange ${(b / 1000).toFixed(3)} s, ` +
      `ratio ${(b / s).toFixed(2)}x (target >= 1.0x; same cover); medians of ${pairs}`,
  );
}

/** Runs `spamx export ARGS > /dev/null` in a child process; its peak RSS (print-max-rss.mjs). */
function exportRss(dir: string, args: readonly string[]): { rssMb: number; seconds: number } {
  const started = performance.now();
  const r = spawnSync(process.execPath, ['--import', PRINT_MAX_RSS, BIN, 'export', '--data', dir, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  const seconds = (performance.now() - started) / 1000;
  const kb = /max-rss-kb (\d+)/.exec(r.stderr)?.[1];
  if (r.status !== 0 || kb === undefined) throw new Error(`spamx export ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return { rssMb: Number(kb) / 1024, seconds };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
