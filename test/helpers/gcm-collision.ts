import { createCipheriv } from 'node:crypto';

/*
 * AES-GCM is not key-committing ("invisible salamanders", Dodis et al., CRYPTO 2018): one
 * ciphertext and tag can decrypt, with a valid tag, under two different keys to two different
 * plaintexts. A sealed batch's JWE wraps one content key per recipient, so a dishonest publisher
 * can wrap a different key for each. This builds such a ciphertext for the sealed-batch test.
 * GHASH is linear in each ciphertext block (NIST SP 800-38D §6.4), so with every block but one
 * fixed, the tags under both keys agree for exactly one value of the free block.
 */

/** x·y in GF(2^128) with GCM's bit order and reduction polynomial (SP 800-38D §6.3, Algorithm 1). */
function gfMul(x: bigint, y: bigint): bigint {
  const R = 0xe1n << 120n;
  let z = 0n;
  let v = y;
  for (let i = 127n; i >= 0n; i--) {
    if ((x >> i) & 1n) z ^= v;
    v = v & 1n ? (v >> 1n) ^ R : v >> 1n;
  }
  return z;
}

function gfPow(x: bigint, e: bigint): bigint {
  let result = 1n << 127n; // the field's 1 in GCM's reflected bit order
  let base = x;
  while (e > 0n) {
    if (e & 1n) result = gfMul(result, base);
    base = gfMul(base, base);
    e >>= 1n;
  }
  return result;
}

const inverse = (x: bigint) => gfPow(x, (1n << 128n) - 2n);
const toBig = (b: Buffer) => BigInt(`0x${b.toString('hex') || '0'}`);
const toBlock = (n: bigint) => Buffer.from(n.toString(16).padStart(32, '0'), 'hex');

function aesBlock(key: Buffer, block: Buffer): Buffer {
  const c = createCipheriv('aes-256-ecb', key, null).setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]);
}

/** The blocks GHASH runs over: AAD and ciphertext zero-padded, then their bit lengths. */
function ghashBlocks(aad: Buffer, ciphertext: Buffer): bigint[] {
  const blocks: bigint[] = [];
  const pad = (b: Buffer) => {
    for (let at = 0; at < b.length; at += 16) blocks.push(toBig(Buffer.concat([b.subarray(at, at + 16), Buffer.alloc(16)]).subarray(0, 16)));
  };
  pad(aad);
  pad(ciphertext);
  const lengths = Buffer.alloc(16);
  lengths.writeBigUInt64BE(BigInt(aad.length * 8), 0);
  lengths.writeBigUInt64BE(BigInt(ciphertext.length * 8), 8);
  blocks.push(toBig(lengths));
  return blocks;
}

function ghash(h: bigint, blocks: readonly bigint[]): bigint {
  let x = 0n;
  for (const b of blocks) x = gfMul(x ^ b, h);
  return x;
}

/**
 * A ciphertext (whole blocks, `filler` with its first block replaced) and a tag valid under both
 * `key1` and `key2` with this 96-bit iv and additional data.
 */
export function collidingCiphertext(key1: Buffer, key2: Buffer, iv: Buffer, aad: Buffer, filler: Buffer): { ciphertext: Buffer; tag: Buffer } {
  if (filler.length % 16 !== 0 || filler.length < 16) throw new Error('filler must be whole blocks');
  const ciphertext = Buffer.from(filler);
  ciphertext.fill(0, 0, 16);
  const j0 = toBig(Buffer.concat([iv, Buffer.from([0, 0, 0, 1])]));
  const [h1, h2] = [key1, key2].map((k) => toBig(aesBlock(k, Buffer.alloc(16))));
  const [e1, e2] = [key1, key2].map((k) => toBig(aesBlock(k, toBlock(j0))));
  const blocks = ghashBlocks(aad, ciphertext);
  // The free block's place in GHASH's sum: it is multiplied by H^power.
  const power = BigInt(blocks.length - Math.ceil(aad.length / 16));
  const rhs = e1! ^ ghash(h1!, blocks) ^ e2! ^ ghash(h2!, blocks);
  const free = gfMul(rhs, inverse(gfPow(h1!, power) ^ gfPow(h2!, power)));
  toBlock(free).copy(ciphertext, 0);
  const tag = toBlock(e1! ^ ghash(h1!, ghashBlocks(aad, ciphertext)));
  return { ciphertext, tag };
}
