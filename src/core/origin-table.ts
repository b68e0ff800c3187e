import { createHash } from 'node:crypto';
import { bigintToWords } from './address-bytes.js';
import type { AsNames } from './as-names.js';
import { SpamxError } from './errors.js';
import type { Origin, OriginDataset, OriginPiece, OriginScope } from './origin.js';
import type { OriginCacheHeader } from './origin-cache-format.js';
import { mergeLayers } from './origin-merge.js';
import { resolveOverlaps } from './origin-overlaps.js';
import { countryText, type FamilyRanges } from './origin-ranges.js';
import { compileScope, intersectScope, piecesOf4, piecesOf6, scopeCidrs, scopeOverlaps, type CompiledScope } from './origin-scope.js';
import { buildBuckets4, segment4, segment6, type SharedOriginTable } from './origin-segments.js';
import { originArraysConsistent, originTableArrays, originTableByteLength } from './origin-table-bytes.js';
import { parsePrefix, type Family } from './prefix.js';

export type { CompiledScope } from './origin-scope.js';
export type { SharedOriginTable } from './origin-segments.js';

/** What a table is built from: each kind of data's ranges (overlaps allowed: src/core/origin-overlaps.ts). */
export interface OriginTableInput {
  readonly country: FamilyRanges;
  readonly asn: FamilyRanges;
  /** Registry ranges, valued 1 + index into `registries`; absent when the data names none. */
  readonly registry?: FamilyRanges;
  readonly registries?: readonly string[];
  readonly asNames?: AsNames;
  readonly datasets: readonly OriginDataset[];
}

/** What a table asks of its AS names: AsNames as the loader builds them, or PackedAsNames read back from saved bytes. */
export type AsNameSource = Pick<AsNames, 'get' | 'size'>;

const NO_ORIGIN: Origin = Object.freeze({ country: null, asn: null, asName: null, registry: null });

/**
 * Where addresses are registered: country, ASN (and its name), regional registry, as one sorted
 * segment table per family (src/core/origin-segments.ts). A lookup is a binary search over
 * typed arrays; the arrays live in one SharedArrayBuffer so worker threads use the same memory
 * (`toShared`, `fromShared`); AS names stay on the thread that loaded them.
 */
export class OriginTable {
  private constructor(
    private readonly t: SharedOriginTable,
    private readonly asNames: AsNameSource | null,
  ) {}

  static build(input: OriginTableInput): OriginTable {
    const registries = input.registries ?? [];
    if (registries.length > 255) throw new SpamxError('INTERNAL', 'origin data names more than 255 registries');
    const layers = (f: 'v4' | 'v6') => [input.country[f], input.asn[f], ...(input.registry ? [input.registry[f]] : [])].map(resolveOverlaps);
    const s4 = mergeLayers(1, layers('v4'));
    const s6 = mergeLayers(4, layers('v6'));
    const n4 = s4.length;
    const n6 = s6.length;
    // One shared buffer, laid out as saved tables are read back (src/core/origin-table-bytes.ts).
    const buffer = new SharedArrayBuffer(originTableByteLength(n4, n6));
    const arrays = originTableArrays(buffer, n4, n6);
    const { starts4, ends4, buckets4, starts6, ends6, asn, country, registry } = arrays;
    starts4.set(s4.starts.subarray(0, n4));
    ends4.set(s4.ends.subarray(0, n4));
    starts6.set(s6.starts.subarray(0, n6 * 4));
    ends6.set(s6.ends.subarray(0, n6 * 4));
    country.set(s4.values[0]!.subarray(0, n4));
    country.set(s6.values[0]!.subarray(0, n6), n4);
    asn.set(s4.values[1]!.subarray(0, n4));
    asn.set(s6.values[1]!.subarray(0, n6), n4);
    if (input.registry) {
      registry.set(s4.values[2]!.subarray(0, n4));
      registry.set(s6.values[2]!.subarray(0, n6), n4);
    }
    buildBuckets4(ends4, n4, buckets4);
    const datasets = input.datasets.map((d) => Object.freeze({ name: d.name, date: d.date, sha256: d.sha256 }));
    const shared: SharedOriginTable = { n4, n6, ...arrays, registries: [...registries], datasets, digest: digestOf(datasets) };
    return new OriginTable(shared, input.asNames ?? null);
  }

  /** The table as structured-cloneable data for postMessage: the typed arrays share their memory. */
  toShared(): SharedOriginTable {
    return this.t;
  }

  /** A table over data posted from another thread. Its AS names are unknown: asName is null. */
  static fromShared(shared: SharedOriginTable): OriginTable {
    return new OriginTable(shared, null);
  }

  /** The table's buffer as bytes, to save (src/node-files/origin-cache.ts); `fromBytes` reads them back. */
  bytes(): Uint8Array {
    return new Uint8Array(this.t.starts4.buffer, 0, originTableByteLength(this.t.n4, this.t.n6));
  }

  /**
   * A table over saved bytes (`bytes()`, read into `buffer`) and what a header says of them, or
   * null when they do not hold together: the buffer's length, the digest of the data sets, the
   * IPv4 index and the registry values are checked.
   */
  static fromBytes(buffer: SharedArrayBuffer, header: Pick<OriginCacheHeader, 'n4' | 'n6' | 'registries' | 'datasets' | 'digest'>, asNames: AsNameSource | null): OriginTable | null {
    const { n4, n6 } = header;
    if (buffer.byteLength !== originTableByteLength(n4, n6) || header.registries.length > 255) return null;
    const datasets = header.datasets.map((d) => Object.freeze({ name: d.name, date: d.date, sha256: d.sha256 }));
    if (digestOf(datasets) !== header.digest) return null;
    const arrays = originTableArrays(buffer, n4, n6);
    if (!originArraysConsistent(arrays, n4, header.registries.length)) return null;
    return new OriginTable({ n4, n6, ...arrays, registries: [...header.registries], datasets, digest: header.digest }, asNames);
  }

  /** How many ASes have a name (0 on a table posted from another thread). */
  get asNameCount(): number {
    return this.asNames?.size ?? 0;
  }

  get datasets(): readonly OriginDataset[] {
    return this.t.datasets;
  }

  /** First 16 hex digits of SHA-256 over the datasets' SHA-256s: for ETags and cursors. */
  get digest(): string {
    return this.t.digest;
  }

  /** How many segments each family has. */
  segmentCount(family: Family): number {
    return family === 4 ? this.t.n4 : this.t.n6;
  }

  /** The origin of an IPv4 dotted quad or an IPv6 address (an IPv4-mapped one as its IPv4 address). */
  originOf(address: string): Origin {
    const parsed = parsePrefix(address);
    if (!parsed.ok) throw new SpamxError(parsed.code, parsed.reason);
    const p = parsed.prefix;
    if (p.length !== (p.family === 4 ? 32 : 128)) throw new SpamxError('PREFIX_INVALID', `"${address.slice(0, 60)}" is a prefix, not an address`);
    if (p.family === 4) return this.originAt(this.originOf4(p.start as number));
    const words = new Uint32Array(4);
    bigintToWords(p.start as bigint, words, 0);
    return this.originAt(segment6(this.t, words, 0));
  }

  /** The segment holding an IPv4 address (an unsigned 32-bit number), or -1: no allocation. */
  originOf4(addr: number): number {
    return segment4(this.t, addr);
  }

  /** The segment holding the IPv6 address words[at..at+3] (most significant first), or -1. */
  originOf6(words: ArrayLike<number>, at = 0): number {
    return segment6(this.t, words, at);
  }

  countryAt(i: number): string | null {
    return i < 0 ? null : countryText(this.t.country[i]!);
  }

  asnAt(i: number): number | null {
    return i < 0 || this.t.asn[i] === 0 ? null : this.t.asn[i]!;
  }

  registryAt(i: number): string | null {
    return i < 0 || this.t.registry[i] === 0 ? null : this.t.registries[this.t.registry[i]! - 1]!;
  }

  asNameOf(asn: number | null): string | null {
    return asn === null || this.asNames === null ? null : this.asNames.get(asn);
  }

  originAt(i: number): Origin {
    if (i < 0) return NO_ORIGIN;
    const asn = this.asnAt(i);
    return { country: this.countryAt(i), asn, asName: this.asNameOf(asn), registry: this.registryAt(i) };
  }

  /**
   * The range cut at every change of origin, as CIDR pieces in address order; addresses with
   * no data give pieces with null country and ASN. `text`: the range's own canonical prefix
   * text, reused when the answer is that one piece.
   */
  split(family: Family, start: number | bigint, end: number | bigint, text?: string): OriginPiece[] {
    return family === 4 ? piecesOf4(this.t, Number(start), Number(end), text) : piecesOf6(this.t, BigInt(start), BigInt(end), text);
  }

  compileScope(scope: OriginScope): CompiledScope {
    return compileScope(this.t, scope);
  }

  /** The range ∩ scope, cut at origin boundaries; a shared frozen empty array when nothing is in scope. */
  intersect(family: Family, start: number | bigint, end: number | bigint, scope: CompiledScope, text?: string): readonly OriginPiece[] {
    return intersectScope(this.t, family, start, end, scope, text);
  }

  overlaps(family: Family, start: number | bigint, end: number | bigint, scope: CompiledScope): boolean {
    return scopeOverlaps(family, start, end, scope);
  }

  scopeCidrs(scope: CompiledScope): string[] {
    return scopeCidrs(scope);
  }
}

function digestOf(datasets: readonly OriginDataset[]): string {
  const h = createHash('sha256');
  for (const d of datasets) h.update(`${d.sha256}\n`);
  return h.digest('hex').slice(0, 16);
}
