import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  consistencyProof,
  EMPTY_ROOT,
  hashLeaf,
  inclusionProof,
  MemoryTree,
  verifyConsistency,
  verifyInclusion,
} from '../../src/core/merkle.js';

/** RFC 6962 / RFC 9162 Merkle trees against ../shared/vectors/rfc6962.json and by exhaustion. */
const vectors = JSON.parse(readFileSync(new URL('../../../shared/vectors/rfc6962.json', import.meta.url), 'utf8')) as {
  leafInputs: string[];
  rootsBySize: string[];
  inclusionProofs: { index: number; size: number; path: string[] }[];
  consistencyProofs: { from: number; to: number; path: string[] }[];
};
const hex = (b: Buffer) => b.toString('hex');
const fromHex = (s: string) => Buffer.from(s, 'hex');

function vectorTree(): MemoryTree {
  const tree = new MemoryTree();
  for (const input of vectors.leafInputs) tree.append(hashLeaf(fromHex(input)));
  return tree;
}

function treeOf(size: number): MemoryTree {
  const tree = new MemoryTree();
  for (let i = 0; i < size; i++) tree.append(hashLeaf(Buffer.from(`leaf ${i}`)));
  return tree;
}

describe('Merkle tree (shared RFC 6962 vectors)', () => {
  const tree = vectorTree();

  it('computes every root by size', () => {
    expect(hex(EMPTY_ROOT)).toBe(vectors.rootsBySize[0]);
    for (let size = 1; size < vectors.rootsBySize.length; size++) expect(hex(tree.root(size))).toBe(vectors.rootsBySize[size]);
  });

  it('produces and verifies the vector inclusion proofs', () => {
    for (const v of vectors.inclusionProofs) {
      const proof = inclusionProof(tree.read, v.index, v.size);
      expect(proof.map(hex)).toEqual(v.path);
      const leaf = hashLeaf(fromHex(vectors.leafInputs[v.index]!));
      expect(verifyInclusion(leaf, v.index, v.size, proof, tree.root(v.size))).toBe(true);
    }
  });

  it('produces and verifies the vector consistency proofs', () => {
    for (const v of vectors.consistencyProofs) {
      const proof = consistencyProof(tree.read, v.from, v.to);
      expect(proof.map(hex)).toEqual(v.path);
      expect(verifyConsistency(v.from, v.to, proof, tree.root(v.from), tree.root(v.to))).toBe(true);
    }
  });
});

describe('every proof for every size up to 300', () => {
  const max = 300;
  const tree = treeOf(max);
  const leaves = Array.from({ length: max }, (_, i) => hashLeaf(Buffer.from(`leaf ${i}`)));

  it('inclusion proofs verify, and tampered ones do not', () => {
    for (let size = 1; size <= max; size++) {
      const root = tree.root(size);
      for (let index = 0; index < size; index++) {
        const proof = inclusionProof(tree.read, index, size);
        expect(verifyInclusion(leaves[index]!, index, size, proof, root)).toBe(true);
        if (index + 1 < size) expect(verifyInclusion(leaves[index]!, index + 1, size, proof, root)).toBe(false); // wrong index
        // The root binds the size (through the signed checkpoint): a proof for one size must not
        // verify against the root of another.
        if (size < max) expect(verifyInclusion(leaves[index]!, index, size + 1, proof, tree.root(size + 1))).toBe(false); // wrong size
        if (proof.length > 0) {
          const flipped = proof.map((p, i) => (i === proof.length - 1 ? Buffer.from(p.map((b, j) => (j === 0 ? b ^ 1 : b))) : p));
          expect(verifyInclusion(leaves[index]!, index, size, flipped, root)).toBe(false); // flipped hash
          expect(verifyInclusion(leaves[index]!, index, size, proof.slice(0, -1), root)).toBe(false); // missing hash
        }
        expect(verifyInclusion(leaves[index]!, index, size, [...proof, leaves[0]!], root)).toBe(false); // extra hash
      }
    }
  });

  it('consistency proofs verify, and tampered ones do not', () => {
    for (let to = 1; to <= max; to++) {
      const root2 = tree.root(to);
      for (let from = 1; from <= to; from++) {
        const root1 = tree.root(from);
        const proof = consistencyProof(tree.read, from, to);
        expect(verifyConsistency(from, to, proof, root1, root2)).toBe(true);
        if (from < to) {
          expect(verifyConsistency(from, to, proof.slice(0, -1), root1, root2)).toBe(false); // missing hash
          expect(verifyConsistency(from, to, [...proof, root1], root1, root2)).toBe(false); // extra hash
          const flipped = proof.map((p, i) => (i === 0 ? Buffer.from(p.map((b, j) => (j === 0 ? b ^ 1 : b))) : p));
          expect(verifyConsistency(from, to, flipped, root1, root2)).toBe(false); // flipped hash
          // Wrong sizes, each with the root a checkpoint of that size would carry.
          if (to < max) expect(verifyConsistency(from, to + 1, proof, root1, tree.root(to + 1))).toBe(false);
          if (from > 1) expect(verifyConsistency(from - 1, to, proof, tree.root(from - 1), root2)).toBe(false);
        }
      }
    }
  });

  it('rejects impossible arguments', () => {
    expect(() => inclusionProof(tree.read, 5, 5)).toThrow(RangeError);
    expect(() => consistencyProof(tree.read, 6, 5)).toThrow(RangeError);
    expect(verifyInclusion(leaves[0]!, -1, 4, [], tree.root(4))).toBe(false);
    expect(verifyInclusion(leaves[0]!, 0, 2 ** 60, [], tree.root(4))).toBe(false);
    expect(verifyConsistency(3, 2, [], tree.root(3), tree.root(2))).toBe(false);
  });
});
