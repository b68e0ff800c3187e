import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describeError } from '../core/errors.js';
import { decodeOriginCacheHeader, decodeOriginCachePreamble, originCacheLayout, ORIGIN_CACHE_PREAMBLE, sameSources, type OriginCacheSource } from '../core/origin-cache-format.js';
import { OriginTable } from '../core/origin-table.js';
import { PackedAsNames } from '../core/packed-as-names.js';

/**
 * The default origin tables prebuilt at install (`npm ci` → `prepare` → src/cli/build.mjs →
 * src/node-files/origin-cache.ts). Two levels above this file is the repository root whether it
 * runs from its source (src/config/) or compiled (.build/config/): the file is data, so a node run
 * from its sources reads it too.
 */
export const ORIGIN_CACHE_FILE = fileURLToPath(new URL('../../.build/origins-default.bin', import.meta.url));

/** The tables, or why the file was passed over: absent, stale or damaged (never an error: the CSVs are parsed instead). */
export type OriginCacheRead = { ok: true; table: OriginTable } | { ok: false; reason: string };

/**
 * Reads prebuilt tables, valid only if built from exactly `sources` (package versions, the CSV
 * files' sizes and mtimes, as src/config/origin-files.ts `defaultOriginSources` stats them) by
 * this format version. The table's bytes go from the file straight into the SharedArrayBuffer
 * the table keeps; every length is checked against the file's before anything is read.
 */
export function readOriginCache(path: string, sources: readonly OriginCacheSource[]): OriginCacheRead {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return { ok: false, reason: 'absent' };
  }
  try {
    const size = fstatSync(fd).size;
    const preamble = new Uint8Array(ORIGIN_CACHE_PREAMBLE);
    const headerLength = decodeOriginCachePreamble(preamble.subarray(0, readSync(fd, preamble, 0, preamble.length, 0)));
    if (!headerLength.ok) return headerLength;
    const header = decodeOriginCacheHeader(readAt(fd, new Uint8Array(headerLength.value), ORIGIN_CACHE_PREAMBLE));
    if (!header.ok) return header;
    const h = header.value;
    if (!sameSources(h.sources, sources)) return { ok: false, reason: 'stale: built from other package files' };
    const layout = originCacheLayout(headerLength.value, h);
    if (layout.total !== size) return { ok: false, reason: `${size} bytes where the header accounts for ${layout.total}` };
    const buffer = new SharedArrayBuffer(layout.tableBytes);
    readAt(fd, new Uint8Array(buffer), layout.tableAt);
    const names = PackedAsNames.unpack(readAt(fd, new Uint8Array(h.names.bytes), layout.namesAt), h.names.count);
    if (!names) return { ok: false, reason: 'damaged AS names' };
    const table = OriginTable.fromBytes(buffer, h, names);
    return table ? { ok: true, table } : { ok: false, reason: 'damaged tables' };
  } catch (err) {
    return { ok: false, reason: `unreadable: ${describeError(err)}` };
  } finally {
    closeSync(fd);
  }
}

/** Fills `into` from the file at `position` (one read for a regular file); throws if the file ends first. */
function readAt(fd: number, into: Uint8Array, position: number): Uint8Array {
  let done = 0;
  while (done < into.length) {
    const n = readSync(fd, into, done, into.length - done, position + done);
    if (n === 0) throw new Error(`ends ${into.length - done} bytes early`);
    done += n;
  }
  return into;
}
