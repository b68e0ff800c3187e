import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { ORIGIN_CACHE_FILE, readOriginCache } from '../config/origin-cache-reader.js';
import { defaultOriginSources, loadOrigins, type OriginConfig } from '../config/origin-files.js';
import { SpamxError } from '../core/errors.js';
import { encodeOriginCacheHead, sameSources, type OriginCacheSource } from '../core/origin-cache-format.js';
import type { OriginTable } from '../core/origin-table.js';
import { PackedAsNames } from '../core/packed-as-names.js';

/** The default data: no delegated files, no ASN files, so the pinned packages' CSVs. */
const DEFAULT_DATA: OriginConfig = { origins: { delegated: [], asn: [] }, paths: { dir: '.' } };

/**
 * AS names are asked of every AS below this (all 16-bit ASes and, so far, every 32-bit one the
 * registries assign) and of every AS the table has a segment for.
 */
const ASKED_BELOW = 1 << 20;

/**
 * `npm run build` (src/cli/build.mjs, after compiling): builds the default tables from the
 * packages' CSVs and saves them where loadOriginTable looks, unless the file there is current
 * (a test run's build then costs a few stats and one read). Throws when they cannot be built or
 * saved; the node works without them.
 */
export function prebuildDefaultOrigins(path = ORIGIN_CACHE_FILE): { written: boolean; bytes: number } {
  const sources = defaultOriginSources();
  if (readOriginCache(path, sources).ok) return { written: false, bytes: 0 };
  const table = loadOrigins(DEFAULT_DATA).table;
  // Files replaced while being parsed: the header would name data that was not the data parsed.
  if (!sameSources(defaultOriginSources(), sources)) throw new SpamxError('ORIGINS_INVALID', 'the origin data packages changed while being read');
  return { written: true, bytes: writeOriginCache(path, table, sources) };
}

/**
 * Saves `table`, built from `sources`, as src/core/origin-cache-format.ts lays it out: to a
 * temporary file beside `path`, then renamed over it, so a node starting meanwhile reads the
 * old file or the new one, never half of one. Returns its size.
 */
export function writeOriginCache(path: string, table: OriginTable, sources: readonly OriginCacheSource[]): number {
  const names = PackedAsNames.pack(namesOf(table));
  const { head, layout } = encodeOriginCacheHead({
    sources,
    n4: table.segmentCount(4),
    n6: table.segmentCount(6),
    registries: table.toShared().registries,
    datasets: table.datasets,
    digest: table.digest,
    names: { count: names.count, bytes: names.bytes.length },
  });
  const temp = `${path}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w', 0o644);
  try {
    writeAll(fd, head, 0);
    writeAll(fd, table.bytes(), layout.tableAt);
    writeAll(fd, names.bytes, layout.namesAt);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(temp, path);
  } catch (err) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw err;
  }
  return layout.total;
}

/**
 * Every AS name the table holds, by asking it (AsNames keeps no list of its ASes). A name it
 * holds but was not asked for, one of an AS above ASKED_BELOW whose every range lost to
 * narrower ones, is caught by the count: then nothing is saved rather than fewer names.
 */
function namesOf(table: OriginTable): Map<number, string> {
  const names = new Map<number, string>();
  const ask = (asn: number) => {
    const name = table.asNameOf(asn);
    if (name !== null) names.set(asn, name);
  };
  for (let asn = 0; asn < ASKED_BELOW; asn++) ask(asn);
  const t = table.toShared();
  for (let i = 0; i < t.asn.length; i++) if (t.asn[i]! >= ASKED_BELOW) ask(t.asn[i]!);
  if (names.size !== table.asNameCount) throw new SpamxError('INTERNAL', `found ${names.size} of the ${table.asNameCount} AS names to save`);
  return names;
}

/** Writes all of `bytes` at `position`; a gap before it reads as zeros. */
function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}
