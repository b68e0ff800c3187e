import { describe, expect, it } from 'vitest';
import { freeNow, ownBuffer } from '../../src/core/free-buffers.js';

describe('freeNow', () => {
  it('gives buffers back at once, leaving their views empty', () => {
    const size = 64 << 20;
    const big = new Uint8Array(size).fill(7);
    const other = new Float64Array(1024);
    const before = process.memoryUsage().arrayBuffers;
    freeNow([big.buffer, other.buffer, big.buffer]); // the same buffer twice is fine
    expect(big.byteLength).toBe(0);
    expect(other.length).toBe(0);
    expect(before - process.memoryUsage().arrayBuffers).toBeGreaterThanOrEqual(size);
    expect(() => freeNow([])).not.toThrow();
  });
});

describe('ownBuffer', () => {
  it('names the ArrayBuffer of a view that spans it alone, never a shared pool slab', () => {
    const large = Buffer.alloc(100_000);
    expect(ownBuffer(large)).toBe(large.buffer);
    expect(ownBuffer(new Uint8Array(3))).toBeDefined();
    expect(ownBuffer(Buffer.from('abc'))).toBeUndefined(); // a slice of Buffer's pool
    expect(ownBuffer(large.subarray(1))).toBeUndefined();
    expect(ownBuffer(new Uint8Array(0))).toBeUndefined();
  });
});
