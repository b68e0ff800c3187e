import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { AsNames } from '../core/as-names.js';
import { DelegatedParser, delegatedTarget, type DelegatedInfo, type DelegatedTarget } from '../core/delegated-extended.js';
import { describeError, SpamxError } from '../core/errors.js';
import type { OriginDataset } from '../core/origin.js';
import type { OriginCacheSource } from '../core/origin-cache-format.js';
import { OriginCsvParser } from '../core/origin-csv.js';
import { familyRanges, type FamilyRanges } from '../core/origin-ranges.js';
import { OriginTable } from '../core/origin-table.js';
import type { Family } from '../core/prefix.js';
import { ORIGIN_CACHE_FILE, readOriginCache } from './origin-cache-reader.js';
import { readBuffer, readLines, type ReadBuffer } from './origin-file-reader.js';

/** The parts of a node's config the origin data needs (src/config/config.ts `origins`). */
export interface OriginConfig {
  readonly origins: { readonly delegated: readonly string[]; readonly asn: readonly string[] };
  readonly paths: { readonly dir: string };
}

/** The default place of delegated files, where `spamx origins import` installs a set. */
export const DEFAULT_DELEGATED = 'origins/delegated';

/** Files beside the data that are not data: checksums and signatures downloaded with it. */
const NOT_DATA = /^\.|\.(md5|asc|sig|sha256|tmp)$/i;

/** One file read: where from, which data set it belongs to, how many rows gave ranges. */
export interface LoadedOriginFile {
  readonly path: string;
  readonly kind: 'delegated' | 'country' | 'asn';
  readonly rows: number;
  readonly dataset: string;
  readonly delegated?: DelegatedInfo;
}

export interface LoadedOrigins {
  readonly table: OriginTable;
  readonly files: readonly LoadedOriginFile[];
}

/** The pinned @ip-location-db package `name`: its directory, version, and the date its version encodes. */
export function originPackage(name: string): { name: string; dir: string; version: string; date: string } {
  const manifest = createRequire(import.meta.url).resolve(`${name}/package.json`);
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  // 2.3.2026061719: the third part is the build's YYYYMMDDHH.
  const m = /^\d+\.\d+\.(\d{4})(\d{2})(\d{2})\d*$/.exec(version);
  return { name, dir: dirname(manifest), version, date: m ? `${m[1]}-${m[2]}-${m[3]}` : version };
}

const COUNTRY_PACKAGE = '@ip-location-db/asn-country';
const ASN_PACKAGE = '@ip-location-db/asn';
/** The smallest form of each: decimal IPv4 (no dots to parse), IPv6 as text (no 39-digit decimals). */
const COUNTRY_FILES: readonly [string, Family][] = [['asn-country-ipv4-num.csv', 4], ['asn-country-ipv6.csv', 6]];
const ASN_FILES: readonly [string, Family][] = [['asn-ipv4-num.csv', 4], ['asn-ipv6.csv', 6]];

/**
 * The data files a config names, in load order: delegated files (each entry a file or a
 * directory, read in name order; the default directory may be absent) and ASN CSVs (a
 * directory's `*.csv`; none configured: the package). A directory is resolved to its real path
 * once, so a set swapped in by `spamx origins import` (a symlink replaced) is read whole from one
 * side of the swap: the importer keeps the set before the last until the next import.
 */
export function originFiles(config: OriginConfig): { delegated: string[]; asn: string[] } {
  const list = (entries: readonly string[], fallback: string | null, only?: RegExp) =>
    entries.flatMap((entry) => {
      const path = isAbsolute(entry) ? entry : resolve(config.paths.dir, entry);
      const stat = statSync(path, { throwIfNoEntry: false });
      if (!stat) {
        if (entry === fallback) return [];
        throw new SpamxError('CONFIG_INVALID', `origins: ${path} does not exist`);
      }
      return stat.isDirectory() ? dataFilesIn(path).filter((file) => !only || only.test(file)) : [path];
    });
  return { delegated: list(config.origins.delegated, DEFAULT_DELEGATED), asn: list(config.origins.asn, null, /\.csv$/i) };
}

/**
 * The data files of a directory in name order: regular files, not hidden, not the checksums and
 * signatures downloaded beside them. Read through the directory's real path.
 */
export function dataFilesIn(dir: string): string[] {
  const real = realpathSync(dir);
  return readdirSync(real)
    .filter((name) => !NOT_DATA.test(name))
    .sort()
    .map((name) => join(real, name))
    .filter((file) => statSync(file, { throwIfNoEntry: false })?.isFile());
}

/** Reads every delegated file into one target; throws ORIGINS_INVALID at the first malformed row. */
export function readDelegatedFiles(paths: readonly string[], target: DelegatedTarget = delegatedTarget(), buffer: ReadBuffer = readBuffer()) {
  return paths.map((path) => {
    const parser = new DelegatedParser(path, target);
    const hash = createHash('sha256');
    readLines(path, (b, from, to) => parser.feed(b, from, to), [hash], buffer);
    const info = parser.finish();
    const dataset: OriginDataset = { name: basename(path), date: info.date, sha256: hash.digest('hex') };
    return { path, info, dataset };
  });
}

/** A little under the packages' bytes per row (24.7, 52, 55 and 85): estimates err towards room. */
const BYTES_PER_ROW = { country: { 4: 22, 6: 48 }, asn: { 4: 45, 6: 75 } } as const;

/** Reads CSV files of one kind into `into`; a data set of several files has one SHA-256 over them in order (`setHash`). */
function readCsvFiles(kind: 'country' | 'asn', files: readonly [string, Family][], into: FamilyRanges, asNames: AsNames | null, buffer: ReadBuffer, setHash?: ReturnType<typeof createHash>) {
  return files.map(([path, family]) => {
    // Room for the rows the file likely holds, so the parser's loop never grows the arrays: a
    // growth is a copy, and a branch the compiled loop had not seen (a deoptimization).
    const list = family === 4 ? into.v4 : into.v6;
    list.ensure(list.length + Math.ceil(statSync(path).size / BYTES_PER_ROW[kind][family]));
    const parser = new OriginCsvParser(kind, path, into, { ...(asNames ? { asNames } : {}), numFamily: family });
    const hash = createHash('sha256');
    readLines(path, (b, from, to) => parser.feed(b, from, to), setHash ? [hash, setHash] : [hash], buffer);
    return { path, rows: parser.rows, sha256: hash.digest('hex') };
  });
}

/** The origin tables a config names, and what was read for them. */
export function loadOrigins(config: OriginConfig): LoadedOrigins {
  const found = originFiles(config);
  const buffer = readBuffer();
  const datasets: OriginDataset[] = [];
  const files: LoadedOriginFile[] = [];
  let country: FamilyRanges;
  let registry: DelegatedTarget | undefined;
  if (found.delegated.length > 0) {
    registry = delegatedTarget();
    for (const { path, info, dataset } of readDelegatedFiles(found.delegated, registry, buffer)) {
      datasets.push(dataset);
      files.push({ path, kind: 'delegated', rows: info.ipv4 + info.ipv6, dataset: dataset.name, delegated: info });
    }
    country = registry.country;
  } else {
    const pkg = originPackage(COUNTRY_PACKAGE);
    country = familyRanges();
    const setHash = createHash('sha256');
    const read = readCsvFiles('country', COUNTRY_FILES.map(([f, fam]) => [join(pkg.dir, f), fam]), country, null, buffer, setHash);
    const dataset = { name: `${pkg.name} ${pkg.version}`, date: pkg.date, sha256: setHash.digest('hex') };
    datasets.push(dataset);
    for (const r of read) files.push({ path: r.path, kind: 'country', rows: r.rows, dataset: dataset.name });
  }
  const asn = familyRanges();
  const asNames = new AsNames();
  if (found.asn.length > 0) {
    const read = readCsvFiles('asn', found.asn.map((path) => [path, /ipv6/i.test(basename(path)) ? 6 : 4]), asn, asNames, buffer);
    for (const r of read) {
      const date = statSync(r.path).mtime.toISOString().slice(0, 10);
      datasets.push({ name: basename(r.path), date, sha256: r.sha256 });
      files.push({ path: r.path, kind: 'asn', rows: r.rows, dataset: basename(r.path) });
    }
  } else {
    const pkg = originPackage(ASN_PACKAGE);
    const setHash = createHash('sha256');
    const read = readCsvFiles('asn', ASN_FILES.map(([f, fam]) => [join(pkg.dir, f), fam]), asn, asNames, buffer, setHash);
    const dataset = { name: `${pkg.name} ${pkg.version}`, date: pkg.date, sha256: setHash.digest('hex') };
    datasets.push(dataset);
    for (const r of read) files.push({ path: r.path, kind: 'asn', rows: r.rows, dataset: dataset.name });
  }
  asNames.trim();
  const table = OriginTable.build({
    country,
    asn,
    ...(registry ? { registry: registry.registry, registries: registry.registries } : {}),
    asNames,
    datasets,
  });
  return { table, files };
}

/**
 * The origin tables a config names (src/core/origin-table.ts). The default data (no delegated or
 * ASN files in use) comes from the tables prebuilt at install (`cacheFile`,
 * src/config/origin-cache-reader.ts) when they were built from the packages installed: about
 * 20 ms where parsing the CSVs takes 350 or more (test/bench/README.md "Origin data"). A file
 * absent, stale or damaged is passed over in silence (`cacheFile` null: none is tried), and the
 * CSVs are parsed as they always were.
 */
export function loadOriginTable(config: OriginConfig, cacheFile: string | null = ORIGIN_CACHE_FILE): OriginTable {
  return (cacheFile !== null && cachedDefaultTable(config, cacheFile)) || loadOrigins(config).table;
}

function cachedDefaultTable(config: OriginConfig, cacheFile: string): OriginTable | null {
  try {
    const found = originFiles(config);
    if (found.delegated.length > 0 || found.asn.length > 0) return null;
    const read = readOriginCache(cacheFile, defaultOriginSources());
    return read.ok ? read.table : null;
  } catch {
    // Whatever failed here (a config naming a missing file, a package gone) fails again, with
    // its own error, in the parse.
    return null;
  }
}

/**
 * What the default tables are built from: each pinned package's version and the size and mtime
 * of each file read from it. Stats only, so checking prebuilt tables against it costs nothing
 * like hashing the files would.
 */
export function defaultOriginSources(): OriginCacheSource[] {
  return ([[COUNTRY_PACKAGE, COUNTRY_FILES], [ASN_PACKAGE, ASN_FILES]] as const).map(([name, files]) => {
    const pkg = originPackage(name);
    return {
      package: name,
      version: pkg.version,
      files: files.map(([file]) => {
        const s = statSync(join(pkg.dir, file));
        return { name: file, size: s.size, mtimeMs: s.mtimeMs };
      }),
    };
  });
}

/**
 * A cheap fingerprint of the files the tables would be read from (paths, sizes, modification
 * times, inodes, and the real path of each directory), for a watcher to poll: a changed
 * signature is worth a reload.
 */
export function originSignature(config: OriginConfig): string {
  let found: { delegated: string[]; asn: string[] };
  try {
    found = originFiles(config);
  } catch (err) {
    return `error ${describeError(err)}`;
  }
  const packages = [
    ...(found.delegated.length > 0 ? [] : COUNTRY_FILES.map(([f]) => join(originPackage(COUNTRY_PACKAGE).dir, f))),
    ...(found.asn.length > 0 ? [] : ASN_FILES.map(([f]) => join(originPackage(ASN_PACKAGE).dir, f))),
  ];
  return [...found.delegated, ...found.asn, ...packages]
    .map((path) => {
      const s = statSync(path, { throwIfNoEntry: false });
      return s ? `${path}\t${s.size}\t${s.mtimeMs}\t${s.ino}` : `${path}\tmissing`;
    })
    .join('\n');
}

/** What a watcher of the origin data tells: a new data set in use, or one refused. */
export interface OriginDataEvents {
  readonly reloaded: (datasets: readonly OriginDataset[]) => void;
  readonly refused: (error: string) => void;
}

/**
 * The origin tables in use, and their reloading. Loaded on first use, by a node too: a CLI command
 * or a node that never asks where an address is registered never holds them (15 MB; about 20 ms
 * to load from the prebuilt tables, 350 ms parsing). A reload that fails (a malformed file, a file
 * gone) keeps the tables in use and says why.
 */
export class OriginData {
  private table: OriginTable | undefined;
  private loadedSignature = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: OriginConfig,
    table?: OriginTable,
  ) {
    this.table = table;
  }

  current(): OriginTable {
    if (!this.table) {
      // Taken before reading: a change during the load shows as a new signature on the next poll.
      this.loadedSignature = originSignature(this.config);
      this.table = loadOriginTable(this.config);
    }
    return this.table;
  }

  /** The tables if already loaded, else undefined: for a reader (the metrics) that must never cause the load. */
  loaded(): OriginTable | undefined {
    return this.table;
  }

  /** Reads the data again; `changed` when the data sets differ from those in use. */
  reload(): { changed: boolean; error?: string } {
    const signature = originSignature(this.config);
    this.loadedSignature = signature;
    try {
      const table = loadOriginTable(this.config);
      const changed = table.digest !== this.table?.digest;
      if (changed) this.table = table;
      return { changed };
    } catch (err) {
      return { changed: false, error: describeError(err) };
    }
  }

  /** reload() when the signature moved since the last load or reload, else nothing: for a poller. */
  reloadIfChanged(): { changed: boolean; error?: string } {
    // Nothing loaded yet: the first question loads what the files hold then.
    if (!this.table) return { changed: false };
    return this.signature() === this.loadedSignature ? { changed: false } : this.reload();
  }

  signature(): string {
    return originSignature(this.config);
  }

  /**
   * Polls the files' signature (paths, sizes, mtimes: a few stats) every `intervalMs` and loads
   * them again when it moves, as `spamx origins import` or a cron job fetching new RIR files
   * makes it; the node never needs a restart for new data.
   */
  watch(intervalMs: number, events: OriginDataEvents): void {
    this.stop();
    this.timer = setInterval(() => {
      const { changed, error } = this.reloadIfChanged();
      if (error) events.refused(error);
      else if (changed) events.reloaded(this.current().datasets);
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
