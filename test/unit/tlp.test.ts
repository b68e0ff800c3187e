import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBatchPayload, checkBatchShape } from '../../src/core/batch.js';
import { netDecisions } from '../../src/core/net-decisions.js';
import { packEntries } from '../../src/core/packed-entries.js';
import { parsePrefix } from '../../src/core/prefix.js';
import { DAY_MS } from '../../src/core/time.js';
import {
  batchTlp,
  parseTlp,
  reachesEveryone,
  tlpName,
  tlpRank,
  TLP_LABELS,
} from '../../src/core/tlp.js';
import { labelledNetChanges, type LabelledChange } from '../../src/core/tlp-changes.js';
import { LookupIndex } from '../../src/core/lookup-index.js';
import { signBatch } from '../../src/ingest/sign-batch.js';
import { applyBatchStream } from '../../src/store/apply-batch.js';
import { openStore, type Store } from '../../src/store/open-store.js';
import { verifyBatch, verifyBatchInChunks } from '../../src/verify/verify-batch.js';
import type { PinnedKeySet } from '../../src/verify/pinned-keys.js';
import { tempDir } from '../helpers/temp-dir.js';
import { T0, thrownCode } from './fixtures.js';
import { header, makeKey, pinned, rawJws, type TestKey } from './signing.js';

const prefix = (text: string) => {
  const p = parsePrefix(text);
  if (!p.ok) throw new Error(text);
  return p.prefix;
};
const listEntry = { op: 'list' as const, prefix: prefix('61.4.12.7'), firstSeen: T0 - 3_600_000, lastSeen: T0, reports: 3, expires: T0 + DAY_MS, category: 'spam-origin' };

describe('core/tlp.ts', () => {
  it('orders the TLP 2.0 labels by rank and reads them back', () => {
    expect(TLP_LABELS.map((l) => tlpRank(l))).toEqual([0, 1, 2, 3, 4]);
    expect([0, 1, 2, 3, 4].map(tlpName)).toEqual(['clear', 'green', 'amber', 'amber+strict', 'red']);
    expect(() => tlpName(5)).toThrow(RangeError);
  });

  it('parses what users write, TLP: prefix and case included, and names what is wrong', () => {
    expect(parseTlp('AMBER+STRICT', '--tlp')).toBe('amber+strict');
    expect(parseTlp('TLP:RED', '--tlp')).toBe('red');
    expect(thrownCode(() => parseTlp('white', '--tlp'))).toBe('BAD_REQUEST');
    expect(() => parseTlp('white', '--tlp')).toThrow(/--tlp: "white" is not a TLP 2.0 label; use one of clear, green, amber, amber\+strict, red/);
  });

  it('reads a batch label: absent is green, a label is itself, anything else is red with a note', () => {
    expect(batchTlp(undefined)).toEqual({ rank: 1 });
    expect(batchTlp('clear')).toEqual({ rank: 0 });
    expect(batchTlp('amber+strict')).toEqual({ rank: 3 });
    for (const bad of ['AMBER', 'white', '', 2, null, ['red'], { tlp: 'red' }]) {
      const read = batchTlp(bad);
      expect(read.rank, JSON.stringify(bad)).toBe(4);
      expect(read.note).toMatch(/is not a TLP 2\.0 label/);
    }
    expect(batchTlp('x'.repeat(1000)).note!.length).toBeLessThan(200);
  });

  it('says which labels reach everyone', () => {
    expect([null, undefined, 0, 1, 2, 3, 4].map(reachesEveryone)).toEqual([true, true, true, true, false, false, false]);
  });
});

describe('the batch member `tlp`', () => {
  let key: TestKey;
  let keys: PinnedKeySet;
  const START = { size: 0, head: null };
  beforeAll(async () => {
    key = await makeKey();
    keys = await pinned(key);
  });

  it('spamx always writes it, before the entries; the shape check never refuses a batch for it', () => {
    const built = buildBatchPayload({ publisher: 'jp-dekyo', seq: 1, prev: null, issuedAt: T0, entries: [listEntry], tlp: 'amber' });
    expect(Object.keys(built)).toEqual(['spamx', 'publisher', 'seq', 'prev', 'issuedAt', 'tlp', 'entries']);
    expect(buildBatchPayload({ publisher: 'jp-dekyo', seq: 1, prev: null, issuedAt: T0, entries: [] }).tlp).toBe('green');
    for (const tlp of ['purple', 7, null, undefined]) {
      const payload = { ...JSON.parse(JSON.stringify(built)), tlp };
      expect(checkBatchShape(payload).tlp).toBe(tlp);
    }
  });

  it('a verified batch carries its rank; a bad label is red, with the note the refusal records', async () => {
    const payload = (tlp: unknown) => ({ ...buildBatchPayload({ publisher: 'jp-dekyo', seq: 1, prev: null, issuedAt: T0, entries: [listEntry] }), tlp });
    const amber = verifyBatch(await signBatch(payload('amber'), key), { publisher: 'jp-dekyo', keys, head: START });
    expect(amber.tlp).toBe(2);
    expect(amber.tlpNote).toBeUndefined();
    const v1 = verifyBatch(rawJws(header(key), JSON.stringify({ ...payload(undefined), tlp: undefined }), key), { publisher: 'jp-dekyo', keys, head: START });
    expect(v1.tlp).toBe(1);
    const bad = verifyBatch(rawJws(header(key), JSON.stringify(payload('purple')), key), { publisher: 'jp-dekyo', keys, head: START });
    expect(bad.tlp).toBe(4);
    expect(bad.tlpNote).toMatch(/"purple" is not a TLP 2\.0 label/);
  });

  it('read in chunks, a label after the entries is still the batch\'s (the members before them do not name it)', async () => {
    const base = buildBatchPayload({ publisher: 'jp-dekyo', seq: 1, prev: null, issuedAt: T0, entries: [listEntry] });
    const { tlp: _tlp, entries, ...head } = base;
    const text = `${JSON.stringify(head).slice(0, -1)},"entries":${JSON.stringify(entries)},"tlp":"red"}`;
    let members: Record<string, unknown> | undefined;
    const { batch } = verifyBatchInChunks(rawJws(header(key), text, key), { publisher: 'jp-dekyo', keys, head: START }, {
      authentic: () => {},
      start: (m) => (members = m),
      entries: () => {},
      finish: () => undefined,
    });
    expect(members && 'tlp' in members).toBe(false);
    expect(batch.tlp).toBe(4);
  });
});

describe('listings and batches take the batch label (store/apply-batch.ts)', () => {
  const tmp = tempDir();
  let store: Store;
  beforeAll(() => {
    store = openStore(join(tmp.path, 'spamx.db'));
  });
  afterAll(() => {
    store.db.close();
    tmp.cleanup();
  });

  it('chunks merged before the label was known are put right at the end; a bad label is a TLP_UNKNOWN refusal', () => {
    const accepted = packEntries([listEntry, { ...listEntry, prefix: prefix('116.31.64.0/24') }], [0, 1]);
    const pieces = [
      { type: 'entries' as const, entries: accepted, tlp: 1 as const },
      { type: 'end' as const, batch: { seq: 1, prev: null, leafHash: 'A'.repeat(43), kid: 'k', issuedAt: T0, entryCount: 2, refused: [], tlp: 4 as const, tlpNote: 'batch "tlp" "purple" is not a TLP 2.0 label' } },
    ];
    applyBatchStream(store, { publisher: 'jp-dekyo', seq: 1, jws: 'a.b.c', quota: null }, () => pieces.shift()!, T0);
    expect(store.prepare('SELECT DISTINCT tlp FROM listings').pluck().all()).toEqual([4]);
    expect(store.prepare('SELECT tlp FROM batches').pluck().get()).toBe(4);
    expect(store.prepare('SELECT code, entry_index AS i FROM refusals').all()).toEqual([{ code: 'TLP_UNKNOWN', i: null }]);
  });
});

describe('labelledNetChanges (core/tlp-changes.ts)', () => {
  const row = (op: LabelledChange['op'], key: string, tlp: number | null): LabelledChange => ({ op, key, prefix: key, tlp });
  const greenOnly = (tlp: number | null) => (tlp ?? 1) <= 1;
  const net = (rows: LabelledChange[], inUse = true) => {
    const { added, removed } = labelledNetChanges(rows, greenOnly, inUse);
    return { added: added.map((c) => c.key), removed: removed.map((c) => c.key) };
  };

  it('is netChanges when no label beyond green was ever logged', () => {
    expect(net([row('added', 'a', 1), row('updated', 'b', 1), row('removed', 'c', 1), row('added', 'd', 1), row('removed', 'd', 1), row('removed', 'e', 1), row('added', 'e', 1)], false)).toEqual({
      added: ['a'],
      removed: ['c'],
    });
  });

  it('sends a piece the reader may no longer see as a removal, and one it may see again as an addition', () => {
    expect(net([row('updated', 'a', 2)])).toEqual({ added: [], removed: ['a'] });
    expect(net([row('updated', 'a', 1)])).toEqual({ added: ['a'], removed: [] });
    // Added under a label the reader may not see: it never held it, so nothing is said.
    expect(net([row('added', 'a', 4)])).toEqual({ added: [], removed: [] });
    expect(net([row('removed', 'a', 2)])).toEqual({ added: [], removed: [] });
    expect(net([row('added', 'a', 1), row('updated', 'a', 2)])).toEqual({ added: [], removed: [] });
    expect(net([row('removed', 'a', 1), row('added', 'a', 3)])).toEqual({ added: [], removed: ['a'] });
  });

  it('moves a piece between a scoped key\'s two cuts as removed and added', () => {
    const { added, removed } = labelledNetChanges([row('removed', 'a', 1), row('added', 'a', 2)], (t) => (t ?? 1) <= 2, true, (t) => (t === 2 ? 1 : 0));
    expect([added.map((c) => c.tlp), removed.map((c) => c.tlp)]).toEqual([[2], [1]]);
  });

  it('CrowdSec: a piece the key may not see is deleted by its id, and listed again once it may', () => {
    const change = (op: 'added' | 'removed' | 'updated', pieceId: number, tlp: number) => ({ op, key: 'k', prefix: '61.4.12.7/32', pieceId, sources: 'jp-dekyo', tlp });
    expect(netDecisions([change('updated', 7, 2)], greenOnly)).toEqual({ deleted: [{ id: 7, prefix: '61.4.12.7/32', sources: 'jp-dekyo' }], listed: [] });
    expect(netDecisions([change('updated', 7, 1)], greenOnly)).toEqual({ deleted: [], listed: [{ key: 'k', pieceId: 7 }] });
    expect(netDecisions([change('added', 7, 4)], greenOnly)).toEqual({ deleted: [], listed: [] });
  });
});

describe('the lookup index keeps each listing\'s label (core/lookup-index.ts)', () => {
  it('in the publisher\'s int: every rank back as it went in, green unsaid', () => {
    const index = new LookupIndex();
    const row = (publisher: string, tlp?: number) => ({ publisher, op: 'list' as const, firstSeen: T0, lastSeen: T0, reports: 1, expires: T0 + DAY_MS, category: null, reason: null, seq: 1, ...(tlp === undefined ? {} : { tlp }) });
    index.setListings(prefix('61.4.12.7/32').key, [row('cn-isc', 0), row('hk-ofta', 4), row('jp-dekyo', 1), row('kr-kisa', 2), row('tw-ncc')]);
    index.setPiece(prefix('61.4.12.7/32').key, { sources: 'cn-isc hk-ofta', expires: T0 + DAY_MS, tlp: 4 });
    const facts = index.facts(prefix('61.4.12.7'));
    expect(facts.listings[0]!.sources.map((s) => [s.publisher, s.tlp])).toEqual([
      ['cn-isc', 0],
      ['hk-ofta', 4],
      ['jp-dekyo', undefined],
      ['kr-kisa', 2],
      ['tw-ncc', undefined],
    ]);
    expect(facts.pieces[0]!.tlp).toBe(4);
  });
});
