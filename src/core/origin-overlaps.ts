import { RangeList } from './origin-ranges.js';

/**
 * One kind of origin data (country, ASN or registry) in address order with no two ranges
 * overlapping, ready for src/core/origin-merge.ts.
 *
 * The overlap rule: where ranges overlap, each address takes the value of the **narrowest**
 * range holding it (the fewest addresses), and of ranges equally wide the one given **last**
 * (files in the order loaded, rows in file order). So a more specific range inside a wider one
 * always wins whatever the row order, and a row repeated later replaces the earlier one.
 * The @ip-location-db/asn package of 2026-06-17 has exactly one overlap (IPv4: AS749's
 * 214.95.0.0-215.0.255.255 and AS721's 215.0.0.0-215.1.3.255 share 215.0.0.0-215.0.255.255,
 * where the narrower AS721 wins); its IPv6 rows and the asn-country package have none.
 *
 * Data already sorted and without overlaps is returned as it is after one pass; sorted data
 * with overlaps (the asn package) is copied in runs, each run of overlapping ranges (a cluster)
 * painted by the rule with a heap, O(k log k) for k ranges; other data is sorted first. Clusters
 * are worked on as bigints, in both families: they are rare, and the code is then one.
 */
export function resolveOverlaps(list: RangeList): RangeList {
  if (list.words === 1 && clean4(list)) return list;
  const order = sortedOrder(list);
  if (order === null) return list;
  const W = list.words;
  const out = new RangeList(W, Math.max(16, list.length));
  const identity = order === SORTED;
  if (identity && W === 1) return clusters4(list, out);
  const at = (k: number) => (identity ? k : (order as Uint32Array)[k]!);
  const n = list.length;
  let i = 0;
  let run = 0;
  while (i < n) {
    // The cluster starting at at(i): every range starting at or before the furthest end so far.
    let j = i + 1;
    let far = at(i);
    while (j < n && cmp(list.starts, at(j) * W, list.ends, far * W, W) <= 0) {
      if (cmp(list.ends, at(j) * W, list.ends, far * W, W) > 0) far = at(j);
      j++;
    }
    if (j > i + 1) {
      // Ranges before the cluster go over in one copy when already in order.
      if (identity) out.append(list, run, i);
      const members = identity ? Uint32Array.from({ length: j - i }, (_, k) => i + k) : (order as Uint32Array).subarray(i, j);
      paintCluster(list, members, out);
      run = j;
    } else if (!identity) {
      out.append(list, at(i), at(i) + 1);
    }
    i = j;
  }
  if (identity) out.append(list, run, n);
  return out;
}

/** The walk below for IPv4 data already in order: plain comparisons, the runs between clusters copied whole. */
function clusters4(list: RangeList, out: RangeList): RangeList {
  const { starts, ends } = list;
  const n = list.length;
  let run = 0;
  let i = 0;
  while (i < n) {
    let j = i + 1;
    let far = ends[i]!;
    while (j < n && starts[j]! <= far) {
      if (ends[j]! > far) far = ends[j]!;
      j++;
    }
    if (j > i + 1) {
      out.append(list, run, i);
      paintCluster(list, Uint32Array.from({ length: j - i }, (_, k) => i + k), out);
      run = j;
    }
    i = j;
  }
  out.append(list, run, n);
  return out;
}

/** sortedOrder's answer for a list already in address order (with overlaps). */
const SORTED = new Uint32Array(0);

/** IPv4 data sorted without overlaps, checked with plain comparisons (the common case, 550,000 rows). */
function clean4(list: RangeList): boolean {
  const { starts, ends } = list;
  for (let i = 1; i < list.length; i++) if (starts[i]! <= ends[i - 1]!) return false;
  return true;
}

/** Indexes in address order (ties by input order); SORTED when already in order; null when also without overlaps. */
function sortedOrder(list: RangeList): Uint32Array | null {
  const W = list.words;
  const n = list.length;
  let clean = true;
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) {
    if (cmp(list.starts, i * W, list.ends, (i - 1) * W, W) > 0) continue;
    clean = false;
    sorted = cmp(list.starts, i * W, list.starts, (i - 1) * W, W) >= 0;
  }
  if (clean) return null;
  // Sorted with a few overlaps (the asn package): no sort, only the clusters are painted.
  if (sorted) return SORTED;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (W === 1 && n < 2 ** 21) {
    // start * 2^21 + index stays below 2^53: a native numeric sort instead of a comparator.
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = list.starts[i]! * 2 ** 21 + i;
    keys.sort();
    for (let i = 0; i < n; i++) order[i] = keys[i]! % 2 ** 21;
    return order;
  }
  order.sort((a, b) => cmp(list.starts, a * W, list.starts, b * W, W) || a - b);
  return order;
}

/** A range of a cluster as bigints (IPv4 too: clusters are rare and the code is then one). */
interface Member {
  readonly start: bigint;
  readonly end: bigint;
  readonly width: bigint;
  readonly index: number;
  readonly value: number;
}

/** The cluster's ranges (in start order) painted by the rule into non-overlapping ranges. */
function paintCluster(list: RangeList, members: Uint32Array, out: RangeList): void {
  const W = list.words;
  const ranges: Member[] = Array.from(members, (i) => {
    const start = toBig(list.starts, i * W, W);
    const end = toBig(list.ends, i * W, W);
    return { start, end, width: end - start, index: i, value: list.values[i]! };
  });
  const bounds = [...new Set(ranges.flatMap((r) => [r.start, r.end + 1n]))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const heap = new MemberHeap();
  let next = 0;
  let open: { start: bigint; end: bigint; value: number } | null = null;
  for (let b = 0; b < bounds.length - 1; b++) {
    const at = bounds[b]!;
    while (next < ranges.length && ranges[next]!.start <= at) heap.push(ranges[next++]!);
    while (heap.size > 0 && heap.top().end < at) heap.pop();
    if (heap.size === 0) continue;
    const value = heap.top().value;
    const end = bounds[b + 1]! - 1n;
    if (open && open.value === value && open.end + 1n === at) open.end = end;
    else {
      if (open) emit(open, out);
      open = { start: at, end, value };
    }
  }
  if (open) emit(open, out);
}

function emit(r: { start: bigint; end: bigint; value: number }, out: RangeList): void {
  const W = out.words;
  const k = out.reserve();
  fromBig(r.start, out.starts, k * W, W);
  fromBig(r.end, out.ends, k * W, W);
  out.values[k] = r.value;
}

/** A binary heap whose top is the winner: narrowest, then latest given. */
class MemberHeap {
  private items: Member[] = [];
  get size(): number {
    return this.items.length;
  }
  top(): Member {
    return this.items[0]!;
  }
  private static wins(a: Member, b: Member): boolean {
    return a.width < b.width || (a.width === b.width && a.index > b.index);
  }
  push(m: Member): void {
    const a = this.items;
    a.push(m);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!MemberHeap.wins(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): void {
    const a = this.items;
    const last = a.pop()!;
    if (a.length === 0) return;
    a[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < a.length && MemberHeap.wins(a[l]!, a[best]!)) best = l;
      if (r < a.length && MemberHeap.wins(a[r]!, a[best]!)) best = r;
      if (best === i) return;
      [a[i], a[best]] = [a[best]!, a[i]!];
      i = best;
    }
  }
}

/** Compares the W-word addresses a[ai..] and b[bi..]. */
export function cmp(a: Uint32Array, ai: number, b: Uint32Array, bi: number, W: number): number {
  for (let w = 0; w < W; w++) {
    const x = a[ai + w]!;
    const y = b[bi + w]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function toBig(a: Uint32Array, at: number, W: number): bigint {
  let v = 0n;
  for (let w = 0; w < W; w++) v = (v << 32n) | BigInt(a[at + w]!);
  return v;
}

function fromBig(v: bigint, a: Uint32Array, at: number, W: number): void {
  for (let w = W - 1; w >= 0; w--) {
    a[at + w] = Number(v & 0xffffffffn);
    v >>= 32n;
  }
}
