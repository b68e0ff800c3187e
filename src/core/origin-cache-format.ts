import type { OriginDataset } from './origin.js';
import { originTableByteLength } from './origin-table-bytes.js';

/**
 * The file of prebuilt default origin tables (written by src/node-files/origin-cache.ts at
 * install, read by src/config/origin-cache-reader.ts):
 *
 *   "SPAMXORG" | format version, uint32 LE | header length, uint32 LE | header (JSON, UTF-8)
 *   | zeros to a multiple of 8 | the table's buffer (src/core/origin-table-bytes.ts)
 *   | zeros to a multiple of 4 | the AS names (src/core/packed-as-names.ts)
 *
 * The header says what the tables were built from (package versions, each CSV's size and
 * mtime: a stat tells whether they still are, where hashing 41 MB would cost what the file
 * saves), what they hold (segment counts, registries, the data sets with the SHA-256 of the
 * files' bytes as the parse computed them, the digest) and the names' size. Nothing in it is
 * believed before it is checked: a file that fails a check is not used.
 */
const MAGIC = 'SPAMXORG';
/** Changed whenever the file's layout or the table's arrays change: an older file is then stale. */
export const ORIGIN_CACHE_VERSION = 1;
/** Magic, version, header length. */
export const ORIGIN_CACHE_PREAMBLE = 16;
/** A header is about a kilobyte; a length far beyond that is damage. */
const MAX_HEADER = 64 << 10;
/** The typed arrays are saved in this machine's byte order and read back the same. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** One package the tables were built from, and the files read from it. */
export interface OriginCacheSource {
  readonly package: string;
  readonly version: string;
  readonly files: readonly { readonly name: string; readonly size: number; readonly mtimeMs: number }[];
}

export interface OriginCacheHeader {
  readonly sources: readonly OriginCacheSource[];
  readonly littleEndian: boolean;
  readonly n4: number;
  readonly n6: number;
  readonly registries: readonly string[];
  readonly datasets: readonly OriginDataset[];
  readonly digest: string;
  readonly names: { readonly count: number; readonly bytes: number };
}

/** Where the parts lie in the file, and its whole length: the table 8-aligned, the names 4-aligned, as their arrays need. */
export interface OriginCacheLayout {
  readonly tableAt: number;
  readonly tableBytes: number;
  readonly namesAt: number;
  readonly total: number;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

const align = (n: number, to: number) => Math.ceil(n / to) * to;

/** The preamble and header, and where the parts after them go (the gaps between are zeros). */
export function encodeOriginCacheHead(header: Omit<OriginCacheHeader, 'littleEndian'>): { head: Uint8Array; layout: OriginCacheLayout } {
  const full: OriginCacheHeader = { ...header, littleEndian: LITTLE_ENDIAN };
  const json = new TextEncoder().encode(JSON.stringify(full));
  const head = new Uint8Array(ORIGIN_CACHE_PREAMBLE + json.length);
  head.set(new TextEncoder().encode(MAGIC));
  const view = new DataView(head.buffer);
  view.setUint32(8, ORIGIN_CACHE_VERSION, true);
  view.setUint32(12, json.length, true);
  head.set(json, ORIGIN_CACHE_PREAMBLE);
  return { head, layout: originCacheLayout(json.length, full) };
}

/** The header's length from the preamble, once magic and version match. */
export function decodeOriginCachePreamble(bytes: Uint8Array): Checked<number> {
  if (bytes.length < ORIGIN_CACHE_PREAMBLE || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) return { ok: false, reason: 'not an origin table file' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, ORIGIN_CACHE_PREAMBLE);
  const version = view.getUint32(8, true);
  if (version !== ORIGIN_CACHE_VERSION) return { ok: false, reason: `format ${version}, not ${ORIGIN_CACHE_VERSION}` };
  const length = view.getUint32(12, true);
  return length > 0 && length <= MAX_HEADER ? { ok: true, value: length } : { ok: false, reason: `a header of ${length} bytes` };
}

/** The header, once it parses and has the shape above in this machine's byte order. */
export function decodeOriginCacheHeader(bytes: Uint8Array): Checked<OriginCacheHeader> {
  let h: OriginCacheHeader;
  try {
    h = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as OriginCacheHeader;
  } catch {
    return { ok: false, reason: 'a header that is not JSON' };
  }
  if (!isHeader(h)) return { ok: false, reason: 'a header of the wrong shape' };
  if (h.littleEndian !== LITTLE_ENDIAN) return { ok: false, reason: 'another byte order' };
  return { ok: true, value: h };
}

export function originCacheLayout(headerLength: number, h: OriginCacheHeader): OriginCacheLayout {
  const tableAt = align(ORIGIN_CACHE_PREAMBLE + headerLength, 8);
  const tableBytes = originTableByteLength(h.n4, h.n6);
  const namesAt = align(tableAt + tableBytes, 4);
  return { tableAt, tableBytes, namesAt, total: namesAt + h.names.bytes };
}

/** Whether the tables were built from exactly these packages and files (versions, sizes, mtimes). */
export function sameSources(a: readonly OriginCacheSource[], b: readonly OriginCacheSource[]): boolean {
  return (
    a.length === b.length &&
    a.every((s, i) => {
      const t = b[i]!;
      return s.package === t.package && s.version === t.version && s.files.length === t.files.length && s.files.every((f, j) => f.name === t.files[j]!.name && f.size === t.files[j]!.size && f.mtimeMs === t.files[j]!.mtimeMs);
    })
  );
}

const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
const isText = (x: unknown): x is string => typeof x === 'string';
const isList = <T>(x: unknown, item: (y: unknown) => y is T): x is T[] => Array.isArray(x) && x.every(item);
const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;

function isHeader(h: unknown): h is OriginCacheHeader {
  if (!isObject(h) || !isObject(h.names) || !isCount(h.n4) || !isCount(h.n6) || !isCount(h.names.count) || !isCount(h.names.bytes)) return false;
  const isFile = (f: unknown): f is OriginCacheSource['files'][number] => isObject(f) && isText(f.name) && isCount(f.size) && typeof f.mtimeMs === 'number';
  const isSource = (s: unknown): s is OriginCacheSource => isObject(s) && isText(s.package) && isText(s.version) && isList(s.files, isFile);
  const isDataset = (d: unknown): d is OriginDataset => isObject(d) && isText(d.name) && isText(d.date) && isText(d.sha256);
  return isList(h.sources, isSource) && isList(h.registries, isText) && h.registries.length <= 255 && isList(h.datasets, isDataset) && isText(h.digest) && typeof h.littleEndian === 'boolean';
}
