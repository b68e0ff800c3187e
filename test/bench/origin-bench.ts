/**
 * Origin data (src/core/origin-table.ts, src/config/origin-files.ts), each measurement in a
 * fresh process of its own (this file run as a child, `load` or `lookup`):
 * - lookups per second over 2,000,000 random public IPv4 addresses from the default tables
 *   (`originOf4` plus the segment's country and ASN), target >= 5,000,000/s, against a
 *   straightforward implementation in the same run: binary search over arrays of row objects
 *   parsed from the same CSV files (one array for countries, one for ASNs);
 * - loading the default data (the pinned @ip-location-db packages, ~37 MB of CSV) two ways, in
 *   turns: from the tables prebuilt at install (.build/origins-default.bin, `npm run build`; if
 *   that file is missing or stale, one is written to a temporary directory first) and by parsing
 *   the CSVs, as without that file. Each: wall time, CPU time of the main thread (wall time less
 *   waiting for a core: the figure that stands on a busy machine) and of all threads, target
 *   < 200 ms; the same load again in that process (a node reloading, its loops compiled); and
 *   memory, target < 40 MB: RSS, heap and external/arrayBuffers growth after full collections,
 *   and the peak RSS over the baseline.
 * Run alone: `npx tsx test/bench/origin-bench.ts` (BENCH_RUNS, default 5).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median, prng } from './bench-data.js';

const SELF = fileURLToPath(import.meta.url);
const TSX_LOADER = pathToFileURL(fileURLToPath(new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url))).href;
const LOOKUPS = 2_000_000;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

interface LoadResult {
  ms: number;
  cpuMs: number;
  mainCpuMs: number;
  /** A second load in the same process (a running node reloading): wall and main-thread CPU. */
  againMs: number;
  againMainCpuMs: number;
  rssMB: number;
  heapMB: number;
  externalMB: number;
  arrayBuffersMB: number;
  peakMB: number;
  /** Whether the prebuilt file given was valid (checked after the timing): the load read it. */
  fromFile: boolean;
}

interface LookupResult {
  table: number;
  tableText: number;
  baseline: number;
  agree: boolean;
}

/** `load` takes the prebuilt file to read, or `parse` for none. */
function child<T>(mode: 'load' | 'lookup', arg: string | number = 1): T {
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', TSX_LOADER, SELF, mode, String(arg)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').at(-1)!) as T;
}

/** The prebuilt default tables to load: the build's own file when current, else one written for the run. */
async function prebuiltFile(): Promise<{ path: string; note: string; cleanup: () => void }> {
  const { ORIGIN_CACHE_FILE, readOriginCache } = await import('../../src/config/origin-cache-reader.js');
  const { defaultOriginSources } = await import('../../src/config/origin-files.js');
  if (readOriginCache(ORIGIN_CACHE_FILE, defaultOriginSources()).ok) return { path: ORIGIN_CACHE_FILE, note: '.build/origins-default.bin', cleanup: () => {} };
  const { prebuildDefaultOrigins } = await import('../../src/node-files/origin-cache.js');
  const dir = mkdtempSync(join(tmpdir(), 'spamx-origin-bench-'));
  const path = join(dir, 'origins-default.bin');
  prebuildDefaultOrigins(path);
  return { path, note: `written for this run (.build/origins-default.bin ${existsSync(ORIGIN_CACHE_FILE) ? 'stale' : 'missing'})`, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function originBench(runs: number): Promise<void> {
  const prebuilt = await prebuiltFile();
  // In turns, so both ways meet the same load on a shared machine.
  const loads = { prebuilt: [] as LoadResult[], parsed: [] as LoadResult[] };
  for (let run = 0; run < runs; run++) {
    loads.prebuilt.push(child<LoadResult>('load', prebuilt.path));
    loads.parsed.push(child<LoadResult>('load', 'parse'));
  }
  prebuilt.cleanup();
  if (!loads.prebuilt.every((l) => l.fromFile)) throw new Error('origin bench: the prebuilt tables were not used');
  for (const [way, list] of [[`from the prebuilt tables, ${prebuilt.note}`, loads.prebuilt], ['parsing the CSVs (no prebuilt tables)', loads.parsed]] as const) {
    const m = (k: Exclude<keyof LoadResult, 'fromFile'>) => median(list.map((l) => l[k]));
    console.log(
      `origin load (default data, fresh process, ${way}): ${m('ms').toFixed(0)} ms wall, ${m('mainCpuMs').toFixed(0)} ms CPU on the main thread, ` +
        `${m('cpuMs').toFixed(0)} ms CPU in all threads (target < 200 ms); loaded again in the same process ${m('againMs').toFixed(0)} ms wall, ` +
        `${m('againMainCpuMs').toFixed(0)} ms main-thread CPU; ` +
        `memory after: RSS +${m('rssMB').toFixed(1)} MB, heap +${m('heapMB').toFixed(1)} MB, external +${m('externalMB').toFixed(1)} MB ` +
        `(arrayBuffers +${m('arrayBuffersMB').toFixed(1)} MB), peak RSS +${m('peakMB').toFixed(1)} MB (target < 40 MB); medians of ${runs}`,
    );
  }
  const lookups = child<LookupResult>('lookup', runs);
  if (!lookups.agree) throw new Error('origin bench: the table and the baseline disagree');
  console.log(
    `origin lookups (${fmt(LOOKUPS)} random public IPv4): originOf4 ${fmt(lookups.table)}/s (target >= 5,000,000/s), ` +
      `baseline (binary search over row objects) ${fmt(lookups.baseline)}/s, ratio ${(lookups.table / lookups.baseline).toFixed(1)}x; ` +
      `originOf(text) ${fmt(lookups.tableText)}/s; medians of ${runs}`,
  );
}

const mb = (bytes: number) => bytes / (1 << 20);
/** CPU time of this process's main thread, in ms (schedstat's nanoseconds): wall time less waiting, without compiler and GC helper threads. */
const mainThreadMs = () => Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
const vm = (key: 'VmHWM' | 'VmRSS') => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) / 1024;

/** In a fresh process: one load of the default data, from `prebuilt` (null: parsing the CSVs), timed and weighed. */
async function measureLoad(prebuilt: string | null): Promise<LoadResult> {
  const { defaultOriginSources, loadOriginTable: load } = await import('../../src/config/origin-files.js');
  const { readOriginCache } = await import('../../src/config/origin-cache-reader.js');
  const loadOriginTable = (config: Parameters<typeof load>[0]) => load(config, prebuilt);
  const config = { origins: { delegated: [], asn: [] }, paths: { dir: '/nonexistent' } };
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setImmediate(r));
    global.gc!();
  }
  const before = process.memoryUsage();
  const rssBefore = vm('VmRSS');
  const cpu = process.cpuUsage();
  const main = mainThreadMs();
  const t0 = performance.now();
  const table = loadOriginTable(config);
  const ms = performance.now() - t0;
  const mainCpuMs = mainThreadMs() - main;
  const used = process.cpuUsage(cpu);
  const peak = vm('VmHWM');
  // Buffers are released by the collector's second pass and its sweeper: collect until settled.
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setImmediate(r));
    global.gc!();
  }
  const after = process.memoryUsage();
  if (table.segmentCount(4) === 0) throw new Error('no data loaded');
  const mainAgain = mainThreadMs();
  const t1 = performance.now();
  loadOriginTable(config);
  const againMs = performance.now() - t1;
  const againMainCpuMs = mainThreadMs() - mainAgain;
  return {
    againMs,
    againMainCpuMs,
    ms,
    cpuMs: (used.user + used.system) / 1000,
    mainCpuMs,
    rssMB: mb(after.rss - before.rss),
    heapMB: mb(after.heapUsed - before.heapUsed),
    externalMB: mb(after.external - before.external),
    arrayBuffersMB: mb(after.arrayBuffers - before.arrayBuffers),
    peakMB: peak - rssBefore,
    fromFile: prebuilt !== null && readOriginCache(prebuilt, defaultOriginSources()).ok,
  };
}

interface Row {
  start: number;
  end: number;
  value: string | number;
}

/** The baseline's data: the CSV rows as objects, as a straightforward loader would keep them. */
function rowObjects(file: string, value: (fields: string[]) => string | number): Row[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l)
    .map((l) => {
      const f = l.split(',');
      return { start: Number(f[0]), end: Number(f[1]), value: value(f) };
    });
}

function rowAt(rows: readonly Row[], addr: number): Row | undefined {
  let lo = 0;
  let hi = rows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const r = rows[mid]!;
    if (addr < r.start) hi = mid - 1;
    else if (addr > r.end) lo = mid + 1;
    else return r;
  }
  return undefined;
}

/** In a fresh process: lookups by the table and by the baseline, the same addresses, taking turns. */
async function measureLookups(runs: number): Promise<LookupResult> {
  const { loadOriginTable, originPackage } = await import('../../src/config/origin-files.js');
  const { specialPurposeRange } = await import('../../src/core/special-purpose.js');
  const { prefixFrom } = await import('../../src/core/prefix.js');
  const table = loadOriginTable({ origins: { delegated: [], asn: [] }, paths: { dir: '/nonexistent' } });
  const countries = rowObjects(join(originPackage('@ip-location-db/asn-country').dir, 'asn-country-ipv4-num.csv'), (f) => f[2]!);
  const asns = rowObjects(join(originPackage('@ip-location-db/asn').dir, 'asn-ipv4-num.csv'), (f) => Number(f[2]));
  const next = prng(11);
  const addresses = new Uint32Array(LOOKUPS);
  for (let i = 0; i < LOOKUPS; ) {
    const n = Math.floor(next() * 2 ** 32);
    if (!specialPurposeRange(prefixFrom(4, n, 32))) addresses[i++] = n;
  }
  const texts = Array.from(addresses.subarray(0, LOOKUPS / 4), (n) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`);
  // Each side sums what it found, so neither can skip work, and the sums must agree.
  const viaTable = () => {
    let sum = 0;
    for (let i = 0; i < addresses.length; i++) {
      const s = table.originOf4(addresses[i]!);
      if (s >= 0) sum += (table.asnAt(s) ?? 0) + (table.countryAt(s)?.charCodeAt(0) ?? 0);
    }
    return sum;
  };
  const viaRows = () => {
    let sum = 0;
    for (let i = 0; i < addresses.length; i++) {
      const a = rowAt(asns, addresses[i]!);
      const c = rowAt(countries, addresses[i]!);
      sum += ((a?.value as number | undefined) ?? 0) + ((c?.value as string | undefined)?.charCodeAt(0) ?? 0);
    }
    return sum;
  };
  const viaText = () => {
    let sum = 0;
    for (const t of texts) sum += table.originOf(t).asn ?? 0;
    return sum;
  };
  // The two agree on every address but where the asn data's one overlap makes the baseline's
  // answer depend on where its search lands (the table takes the narrower range).
  let agree = true;
  for (let i = 0; i < addresses.length; i++) {
    const addr = addresses[i]!;
    const s = table.originOf4(addr);
    const a = rowAt(asns, addr);
    const c = rowAt(countries, addr);
    if ((s < 0 ? null : table.asnAt(s)) === ((a?.value as number | undefined) ?? null) && (s < 0 ? null : table.countryAt(s)) === (c?.value ?? null)) continue;
    if (asns.filter((r) => r.start <= addr && addr <= r.end).length < 2) agree = false;
  }
  const rates = { table: [] as number[], baseline: [] as number[], text: [] as number[] };
  for (let run = 0; run < runs + 1; run++) {
    let t = performance.now();
    viaTable();
    const tableMs = performance.now() - t;
    t = performance.now();
    viaRows();
    const rowsMs = performance.now() - t;
    t = performance.now();
    viaText();
    const textMs = performance.now() - t;
    if (run === 0) continue; // warm-up
    rates.table.push(LOOKUPS / (tableMs / 1000));
    rates.baseline.push(LOOKUPS / (rowsMs / 1000));
    rates.text.push(texts.length / (textMs / 1000));
  }
  return { table: median(rates.table), baseline: median(rates.baseline), tableText: median(rates.text), agree };
}

if (process.argv[1] === SELF) {
  const mode = process.argv[2];
  if (mode === 'load') console.log(JSON.stringify(await measureLoad(process.argv[3] === 'parse' ? null : process.argv[3]!)));
  else if (mode === 'lookup') console.log(JSON.stringify(await measureLookups(Number(process.argv[3] ?? 3))));
  else await originBench(Number(process.env.BENCH_RUNS ?? 5));
}
