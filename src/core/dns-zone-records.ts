import { formatAddress } from './prefix.js';

/*
 * The DNSBL as a zone file's names, for DNS secondaries (AXFR RFC 5936, IXFR RFC 1995).
 *
 * spamx answers an address with the union of the sources of every listed piece covering it
 * (read/dnsbl-index.ts). A secondary only has names and wildcards (RFC 4592), so:
 * - a piece becomes names on label boundaries: IPv4 on octets, IPv6 on nibbles (RFC 5782 §2.1,
 *   §2.4); a /20 is 16 /24s, each the wildcard `*.<third>.<second>.<first>`; a /32 (or /128) is
 *   the address's own name;
 * - RFC 4592 §3.3.1 synthesizes from the wildcard of the *closest encloser* only. Wherever a
 *   more specific piece makes a node exist under a listed range (61.4.12.7/32 under
 *   61.4.0.0/16 makes 12.4.61 exist), names under that node no longer reach the range's
 *   wildcard: each such node gets its own wildcard, with the union of the sources of every piece
 *   above it, and each name gets the union of every piece on its path. That reproduces the union
 *   spamx answers, for every address.
 * Pieces that overlap form one cluster, led by the widest (pieces in store key order come widest
 * first, at the same start), so a zone is made one cluster at a time, never all in memory.
 */

export type ZoneFamily = 4 | 6;

/** One listed piece: its family, first address and length, and its sources (sorted, space-separated). */
export interface ZonePiece {
  readonly family: ZoneFamily;
  readonly start: bigint;
  readonly length: number;
  readonly sources: string;
}

/**
 * One name the zone holds, relative to the zone: it answers A 127.0.0.2 and a TXT; or, for a
 * `structure` name, only a TXT that is there to make its parent exist (see `clusterNames`).
 */
export interface ZoneName {
  /** Labels under the zone, most specific first: `*.12.4.61` or `7.12.4.61`. */
  readonly owner: string;
  readonly sources: string;
  /** The address, for a name that is one (`61.4.12.7`); undefined for a wildcard. */
  readonly address: string | undefined;
  readonly structure?: true;
}

const BITS = { 4: 32, 6: 128 } as const;
const LABEL_BITS = { 4: 8, 6: 4 } as const;

/** The first address of a piece and its last, as one family's numbers. */
export function pieceRange(piece: Pick<ZonePiece, 'family' | 'start' | 'length'>): [bigint, bigint] {
  const size = 1n << BigInt(BITS[piece.family] - piece.length);
  return [piece.start, piece.start + size - 1n];
}

/** The labels of a node: the first `count` octets (or nibbles) of an address, most significant first. */
function labelsOf(family: ZoneFamily, address: bigint, count: number): string[] {
  const labels: string[] = [];
  const width = LABEL_BITS[family];
  const total = BITS[family];
  for (let i = 0; i < count; i++) {
    const value = Number((address >> BigInt(total - width * (i + 1))) & BigInt((1 << width) - 1));
    labels.push(family === 4 ? String(value) : value.toString(16));
  }
  return labels;
}

/**
 * Every name one cluster of overlapping pieces (all of one family) puts in the zone. Names come
 * in no particular order; each appears once.
 */
export function clusterNames(pieces: readonly ZonePiece[]): ZoneName[] {
  if (pieces.length === 0) return [];
  if (pieces.length === 1 && !nibbleLike(pieces[0]!)) return loneNames(pieces[0]!);
  const family = pieces[0]!.family;
  const width = LABEL_BITS[family];
  const full = BITS[family] / width;
  /** Node path (labels joined by '.', most significant first) → the sources of pieces there. */
  const at = new Map<string, string[]>();
  /** Every node that exists: the pieces' nodes and their ancestors, by depth. */
  const nodes = new Map<string, number>();
  for (const piece of pieces) {
    // RFC 5782 names run on label boundaries: a piece between them is the set of pieces on the next one.
    const depth = Math.ceil(piece.length / width);
    const count = 1n << BigInt(depth * width - piece.length);
    const step = 1n << BigInt(BITS[family] - depth * width);
    for (let i = 0n; i < count; i++) {
      const labels = labelsOf(family, piece.start + i * step, depth);
      const path = labels.join('.');
      const list = at.get(path);
      if (list) list.push(piece.sources);
      else at.set(path, [piece.sources]);
      for (let d = depth; d >= 0; d--) {
        const ancestor = labels.slice(0, d).join('.');
        if (nodes.has(ancestor)) break;
        nodes.set(ancestor, d);
      }
    }
  }
  // IPv4 and IPv6 names share the zone's tree, and a label of one digit is also a nibble: the
  // wildcard `*.4.2` of 2.4.0.0/16 would answer for IPv6 2400::/12 too, wherever no IPv6 node is
  // closer. So under an IPv4 node all of whose labels are digits and that a piece covers, every
  // digit child is made to exist (each then gets its wildcard, or at depth 4 its address's
  // name, below), and each hex-letter child exists as an empty non-terminal (a TXT at `_.<child>`
  // under it, a name no address has): an IPv6 name then finds its closest encloser there, with
  // no wildcard, and is NXDOMAIN as spamx answers it unless an IPv6 piece covers it.
  const structure: string[] = [];
  if (family === 4) {
    const queue = [...at.keys()].filter((path) => nodes.get(path)! < full && allDigits(path));
    const expanded = new Set<string>();
    while (queue.length > 0) {
      const path = queue.pop()!;
      if (expanded.has(path)) continue;
      expanded.add(path);
      const depth = nodes.get(path)!;
      for (let k = 0; k < 16; k++) {
        const child = path === '' ? k.toString(16) : `${path}.${k.toString(16)}`;
        if (k >= 10) {
          structure.push(child);
          continue;
        }
        if (!nodes.has(child)) nodes.set(child, depth + 1);
        if (depth + 1 < full) queue.push(child);
      }
    }
  }
  // A node's covering sources are its parent's and its own: walk the nodes shallowest first.
  const covering = new Map<string, string[]>();
  const names: ZoneName[] = [];
  const ordered = [...nodes].sort((a, b) => a[1] - b[1]);
  for (const [path, depth] of ordered) {
    const parent = depth === 0 ? undefined : covering.get(path.slice(0, Math.max(0, path.lastIndexOf('.'))) || '');
    const own = at.get(path);
    const lists = own ? [...(parent ?? []), ...own] : (parent ?? []);
    covering.set(path, lists);
    if (lists.length === 0) continue;
    const sources = unionOf(lists);
    const reversed = path.split('.').reverse().join('.');
    if (depth === full) {
      names.push({ owner: reversed, sources, address: formatAddress(family, family === 4 ? Number(addressOf(family, path)) : addressOf(family, path)) });
    } else {
      // RFC 4592 §2.1.1: `*` is the wildcard's leftmost label; at the apex of the family's
      // names (depth 0, a /0) it sits right under the zone.
      names.push({ owner: depth === 0 ? '*' : `*.${reversed}`, sources, address: undefined });
    }
  }
  for (const path of structure) names.push({ owner: `_.${path.split('.').reverse().join('.')}`, sources: '', address: undefined, structure: true });
  return names;
}

/** Whether a path's labels are all single digits (each then reads as an IPv6 nibble too). */
function allDigits(path: string): boolean {
  return /^(\d(\.\d)*)?$/.test(path);
}

/** Whether an IPv4 piece sits under (or is) a node whose labels are all single digits. */
function nibbleLike(piece: ZonePiece): boolean {
  if (piece.family !== 4) return false;
  const depth = Math.ceil(piece.length / 8);
  if (depth >= 4) return false;
  return allDigits(labelsOf(4, piece.start, depth).join('.'));
}

/** A piece that overlaps no other (nearly all of them): its names on the next label boundary. */
function loneNames(piece: ZonePiece): ZoneName[] {
  const { family } = piece;
  const width = LABEL_BITS[family];
  const full = BITS[family] / width;
  const depth = Math.ceil(piece.length / width);
  const count = 1 << (depth * width - piece.length);
  const step = 1n << BigInt(BITS[family] - depth * width);
  const names: ZoneName[] = [];
  for (let i = 0; i < count; i++) {
    const start = piece.start + BigInt(i) * step;
    const owner = labelsOf(family, start, depth).reverse().join('.');
    if (depth === full) names.push({ owner, sources: piece.sources, address: formatAddress(family, family === 4 ? Number(start) : start) });
    else names.push({ owner: depth === 0 ? '*' : `*.${owner}`, sources: piece.sources, address: undefined });
  }
  return names;
}

function addressOf(family: ZoneFamily, path: string): bigint {
  const width = BigInt(LABEL_BITS[family]);
  let value = 0n;
  for (const label of path.split('.')) value = (value << width) | BigInt(family === 4 ? Number(label) : parseInt(label, 16));
  return value;
}

/** Several pieces' source lists merged into one sorted, space-separated list (as read/dnsbl-index.ts answers). */
export function unionOf(lists: readonly string[]): string {
  if (lists.length === 1) return lists[0]!;
  return [...new Set(lists.flatMap((s) => s.split(' ')))].sort().join(' ');
}

/**
 * Groups pieces given in store key order (family, start, then shortest first) into clusters of
 * overlapping pieces: calls `flush` with each cluster as soon as it is complete.
 */
export class ClusterCollector {
  private cluster: ZonePiece[] = [];
  private end = -1n;

  constructor(private readonly flush: (cluster: ZonePiece[]) => void) {}

  add(piece: ZonePiece): void {
    const first = this.cluster[0];
    if (first && (first.family !== piece.family || piece.start > this.end)) this.finish();
    if (this.cluster.length === 0) this.end = pieceRange(piece)[1];
    this.cluster.push(piece);
  }

  finish(): void {
    if (this.cluster.length === 0) return;
    const done = this.cluster;
    this.cluster = [];
    this.flush(done);
  }
}

/** A piece from its store key (core/prefix.ts `prefixKey`); undefined for a key of neither family. */
export function pieceOfKey(key: string, sources: string): ZonePiece | undefined {
  const length = parseInt(key.slice(-2), 16);
  if (key[0] === '4' && key.length === 11) return { family: 4, start: BigInt(parseInt(key.slice(1, 9), 16)), length, sources };
  if (key[0] === '6' && key.length === 35) return { family: 6, start: BigInt(`0x${key.slice(1, 33)}`), length, sources };
  return undefined;
}
