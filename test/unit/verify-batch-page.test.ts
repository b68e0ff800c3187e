import { beforeAll, describe, expect, it } from 'vitest';
import { leafHash } from '../../src/core/leaf-hash.js';
import { isSpamxError } from '../../src/core/errors.js';
import type { FeedHead } from '../../src/core/feed-head.js';
import { verifyBatch } from '../../src/verify/verify-batch.js';
import { verifyBatchPage } from '../../src/verify/verify-batch-page.js';
import type { PinnedKeySet } from '../../src/verify/pinned-keys.js';
import { batchPayload, header, leafHashOf, makeKey, pinned, rawJws, signedBatch, type TestKey } from './signing.js';

/**
 * An auditor's page verifier must reach exactly the verdict of verifyBatch applied one batch
 * after the other: the same first bad batch, for the same reason, whatever else is wrong after it.
 */
let key: TestKey;
let stranger: TestKey;
let keys: PinnedKeySet;
let chain: string[];
const START: FeedHead = { size: 0, head: null };

/** The first failure of verifyBatch applied in order, as [index, code]; undefined when all pass. */
function oneByOne(page: readonly string[]): [number, string] | undefined {
  let head = START;
  for (const [i, jws] of page.entries()) {
    try {
      const b = verifyBatch(jws, { publisher: 'jp-dekyo', keys, head });
      head = { size: b.seq, head: b.leafHash };
    } catch (err) {
      return [i, isSpamxError(err) ? err.code : String(err)];
    }
  }
  return undefined;
}

async function paged(page: readonly string[]): Promise<[number, string] | undefined> {
  const { batches, failed } = await verifyBatchPage(page, { publisher: 'jp-dekyo', keys, head: START });
  expect(batches.map((b) => b.seq)).toEqual(page.slice(0, failed?.index ?? page.length).map((_, i) => i + 1));
  return failed && [failed.index, isSpamxError(failed.error) ? failed.error.code : String(failed.error)];
}

const badSignature = (jws: string) => jws.slice(0, -2) + (jws.at(-2) === 'A' ? 'B' : 'A') + jws.at(-1);

beforeAll(async () => {
  key = await makeKey();
  stranger = await makeKey();
  keys = await pinned(key);
  chain = [];
  for (let seq = 1; seq <= 6; seq++) chain.push(await signedBatch(seq, seq === 1 ? null : leafHashOf(chain[seq - 2]!), key));
});

describe('verifyBatchPage', () => {
  it('verifies a chain and gives each batch its leaf hash', async () => {
    const { batches, failed } = await verifyBatchPage(chain, { publisher: 'jp-dekyo', keys, head: START });
    expect(failed).toBeUndefined();
    expect(batches.map((b) => b.leaf)).toEqual(chain.map((j) => leafHash(j)));
    expect(batches.map((b) => b.entryCount)).toEqual(chain.map(() => 2));
  });

  it('continues from a head other than the start', async () => {
    const head = { size: 2, head: leafHashOf(chain[1]!) };
    expect((await verifyBatchPage(chain.slice(2), { publisher: 'jp-dekyo', keys, head })).batches.map((b) => b.seq)).toEqual([3, 4, 5, 6]);
  });

  it('reaches the one-by-one verdict for every way a page can go wrong', async () => {
    const wrongPrev = rawJws(header(key), JSON.stringify(batchPayload(3, leafHashOf(chain[0]!))), key);
    const cases: string[][] = [
      [chain[0]!, chain[1]!, badSignature(chain[2]!), chain[3]!],
      [chain[0]!, wrongPrev, badSignature(chain[3]!)],
      [chain[0]!, chain[1]!, badSignature(wrongPrev)], // a bad signature wins over the payload
      [chain[0]!, chain[2]!, chain[1]!], // a gap
      [chain[0]!, await signedBatch(2, leafHashOf(chain[0]!), stranger), chain[2]!], // unknown kid
      [chain[0]!, chain[1]!, 'not.a.jws', chain[3]!],
      [chain[0]!, chain[1]!, rawJws(header(key), '{"spamx":1,"spamx":1}', key)],
      [await signedBatch(1, null, key, 'cn-isc')],
      [chain[1]!],
    ];
    for (const page of cases) {
      const expected = oneByOne(page);
      expect(expected).toBeDefined();
      expect(await paged(page)).toEqual(expected);
    }
  });
});
