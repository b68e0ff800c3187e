import { createHash } from 'node:crypto';

/**
 * RFC 6962 §2.1 / RFC 9162 §2.1 Merkle trees over a feed's leaf hashes. A tree is read through
 * `SubtreeReader`: the hash of a complete subtree, level L index i covering leaves
 * [i·2^L, (i+1)·2^L). Stores keep exactly those nodes (appending a leaf adds at most log n of
 * them), so roots and proofs never rebuild the tree.
 */
export type SubtreeReader = (level: number, index: number) => Buffer;

const LEAF = Buffer.of(0x00);
const NODE = Buffer.of(0x01);

export const EMPTY_ROOT = createHash('sha256').digest();

export function hashLeaf(data: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF).update(data).digest();
}

function hashChildren(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE).update(left).update(right).digest();
}

/** The largest power of two smaller than n (n ≥ 2): RFC 9162 §2.1.1's k. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[start:end]); `start` is aligned as every subrange of RFC 9162's recursion is. */
function rangeHash(read: SubtreeReader, start: number, end: number): Buffer {
  const n = end - start;
  if (n <= 0) throw new RangeError(`empty range [${start}, ${end})`);
  if ((n & (n - 1)) === 0 && start % n === 0) return read(Math.log2(n), start / n);
  const k = splitPoint(n);
  return hashChildren(rangeHash(read, start, start + k), rangeHash(read, start + k, end));
}

export function rootHash(read: SubtreeReader, size: number): Buffer {
  return size === 0 ? EMPTY_ROOT : rangeHash(read, 0, size);
}

/** RFC 9162 §2.1.3.1 PATH(m, D[0:n]): the inclusion proof of leaf m in the tree of size n. */
export function inclusionProof(read: SubtreeReader, index: number, size: number): Buffer[] {
  if (!(index >= 0 && index < size)) throw new RangeError(`leaf ${index} is not in a tree of size ${size}`);
  const path: Buffer[] = [];
  const walk = (m: number, start: number, end: number): void => {
    const n = end - start;
    if (n === 1) return;
    const k = splitPoint(n);
    if (m < k) {
      walk(m, start, start + k);
      path.push(rangeHash(read, start + k, end));
    } else {
      walk(m - k, start + k, end);
      path.push(rangeHash(read, start, start + k));
    }
  };
  walk(index, 0, size);
  return path;
}

/** RFC 9162 §2.1.4.1 PROOF(m, D[0:n]): the consistency proof from size m to size n. */
export function consistencyProof(read: SubtreeReader, from: number, to: number): Buffer[] {
  if (!(from >= 0 && from <= to)) throw new RangeError(`no consistency proof from ${from} to ${to}`);
  if (from === 0 || from === to) return [];
  const path: Buffer[] = [];
  const sub = (m: number, start: number, end: number, whole: boolean): void => {
    const n = end - start;
    if (m === n) {
      if (!whole) path.push(rangeHash(read, start, end));
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      sub(m, start, start + k, whole);
      path.push(rangeHash(read, start + k, end));
    } else {
      sub(m - k, start + k, end, false);
      path.push(rangeHash(read, start, start + k));
    }
  };
  sub(from, 0, to, true);
  return path;
}

/** RFC 9162 §2.1.3.2: does `proof` show leaf `index` with `leaf` hash in the tree of `size` and `root`? */
export function verifyInclusion(leaf: Uint8Array, index: number, size: number, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size) && index >= 0 && index < size)) return false;
  let fn = index;
  let sn = size - 1;
  let r: Uint8Array = leaf;
  for (const p of proof) {
    if (sn === 0 || p.length !== 32) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = hashChildren(p, r);
      if (fn % 2 === 0) [fn, sn] = shiftWhileEven(fn, sn);
    } else {
      r = hashChildren(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && Buffer.from(r).equals(Buffer.from(root));
}

/** RFC 9162 §2.1.4.2: does `proof` show the tree of size `to` and `root2` extends that of `from` and `root1`? */
export function verifyConsistency(
  from: number,
  to: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): boolean {
  if (!(Number.isSafeInteger(from) && Number.isSafeInteger(to) && from >= 0 && from <= to)) return false;
  if (from === to) return proof.length === 0 && Buffer.from(root1).equals(Buffer.from(root2));
  if (from === 0) return proof.length === 0; // the empty tree is a prefix of every tree
  if (proof.length === 0 || proof.some((p) => p.length !== 32)) return false;
  const path = (from & (from - 1)) === 0 ? [root1, ...proof] : [...proof];
  let fn = from - 1;
  let sn = to - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr: Uint8Array = path[0]!;
  let sr: Uint8Array = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      if (fn % 2 === 0) [fn, sn] = shiftWhileEven(fn, sn);
    } else {
      sr = hashChildren(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && Buffer.from(fr).equals(Buffer.from(root1)) && Buffer.from(sr).equals(Buffer.from(root2));
}

/** RFC 9162 §2.1.3.2 step 4.b.2: right-shift fn and sn equally until LSB(fn) is set or fn is 0. */
function shiftWhileEven(fn: number, sn: number): [number, number] {
  while (fn % 2 === 0 && fn !== 0) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return [fn, sn];
}

/** Complete-subtree hashes added when leaf `index` (0-based) is appended: [level, index, hash]. */
export function nodesForAppend(read: SubtreeReader, index: number, leaf: Buffer): [number, number, Buffer][] {
  const nodes: [number, number, Buffer][] = [[0, index, leaf]];
  let level = 0;
  let i = index;
  let hash = leaf;
  while (i % 2 === 1) {
    hash = hashChildren(read(level, i - 1), hash);
    level++;
    i = Math.floor(i / 2);
    nodes.push([level, i, hash]);
  }
  return nodes;
}

/** An in-memory tree, for auditors recomputing a feed and for tests. */
export class MemoryTree {
  private readonly levels: Buffer[][] = [[]];

  get size(): number {
    return this.levels[0]!.length;
  }

  readonly read: SubtreeReader = (level, index) => {
    const hash = this.levels[level]?.[index];
    if (!hash) throw new RangeError(`no complete subtree at level ${level} index ${index}`);
    return hash;
  };

  append(leaf: Buffer): void {
    for (const [level, index, hash] of nodesForAppend(this.read, this.size, leaf)) (this.levels[level] ??= [])[index] = hash;
  }

  root(size = this.size): Buffer {
    return rootHash(this.read, size);
  }
}
