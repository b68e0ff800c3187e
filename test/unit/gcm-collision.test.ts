import { createDecipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { collidingCiphertext } from '../helpers/gcm-collision.js';

describe('the GCM collision the sealed-batch test relies on', () => {
  it('one ciphertext and tag decrypt under two keys to two plaintexts', () => {
    const [k1, k2, iv, aad] = [randomBytes(32), randomBytes(32), randomBytes(12), Buffer.from('eyJlbmMiOiJBMjU2R0NNIn0', 'ascii')];
    const { ciphertext, tag } = collidingCiphertext(k1, k2, iv, aad, randomBytes(64));
    const open = (k: Buffer) => {
      const d = createDecipheriv('aes-256-gcm', k, iv).setAAD(aad).setAuthTag(tag);
      return Buffer.concat([d.update(ciphertext), d.final()]);
    };
    expect(open(k1).equals(open(k2))).toBe(false);
  });
});
