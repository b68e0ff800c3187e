import { afterAll, describe, expect, it } from 'vitest';
import { prefixFrom, type Prefix } from '../../src/core/prefix.js';
import { PrefixSet } from '../../src/core/prefix-set.js';
import { KeyProjector } from '../../src/store/key-projector.js';
import { openStore, writeTransaction, type Store } from '../../src/store/open-store.js';
import { projectKeys } from '../../src/store/set-projector.js';
import { prng } from '../bench/bench-data.js';
import { tempDir } from '../helpers/temp-dir.js';

const UPSERT = `INSERT INTO listings (key, publisher, prefix, op, first_seen, last_seen, reports, expires, category, reason, seq, tlp)
  VALUES (?, ?, ?, 'list', ?, ?, ?, ?, 'spam-origin', NULL, 1, ?) ON CONFLICT (key, publisher) DO UPDATE SET op = 'list',
  first_seen = excluded.first_seen, last_seen = excluded.last_seen, reports = excluded.reports, expires = excluded.expires, tlp = excluded.tlp`;
const DELIST = `UPDATE listings SET op = 'delist' WHERE key = ? AND publisher = ? AND op = 'list'`;

/** Everything projection writes, in the order readers see it (origins of a piece: by rowid, as KeyProjector reads them). */
function projected(store: Store): unknown[] {
  return [
    'SELECT * FROM effective ORDER BY id',
    'SELECT * FROM changes ORDER BY id',
    'SELECT origin, piece FROM origin_pieces ORDER BY origin, piece',
    'SELECT piece, origin FROM origin_pieces ORDER BY piece, rowid',
  ].map((sql) => store.db.prepare(sql).raw().all());
}

/**
 * The set-based path (set-projector.ts) against KeyProjector key by key, the path it stands in
 * for: random rounds of several publishers listing and delisting overlapping prefixes of a
 * small range, with expiries, keys repeated within a round and allowlist edits carving listed
 * prefixes (so shared and carved pieces, and every plain case, occur), must leave the same
 * rows, ids and change log.
 */
describe('projectKeys', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  for (const seed of [1, 2, 3, 4, 5, 6, 17]) {
    it(`projects as KeyProjector does, key by key (seed ${seed})`, () => {
      const random = prng(seed * 7919 + 13);
      for (let i = 0; i < 20; i++) random();
      const int = (n: number) => Math.floor(random() * n);
      const randomPrefix = (): Prefix => {
        const length = 20 + int(13);
        const start = ((10 << 24) | int(1 << 12)) >>> 0;
        return prefixFrom(4, (start & (~0 << (32 - length))) >>> 0, length);
      };
      const sets = openStore(`${tmp.path}/sets-${seed}.db`);
      const keys = openStore(`${tmp.path}/keys-${seed}.db`);
      const publishers = ['aa-one', 'bb-two', 'cc-three', 'dd-four'].slice(0, 1 + int(4));
      let now = 1_000_000_000_000;
      let allowlist = new PrefixSet([]);
      let viaGeneral = 0;
      let projectedKeys = 0;
      let pending: string[] = [];
      for (let round = 0; round < 30; round++) {
        now += int(3) * 60_000 + 1;
        for (let i = 0, n = [1, 5, 40, 300][int(4)]!; i < n; i++) {
          const p = randomPrefix();
          const publisher = publishers[int(publishers.length)]!;
          const delist = random() < 0.2;
          const values = [p.key, publisher, p.text, now - int(100_000), now, 1 + int(5), now + [-1000, 60_000, 86_400_000][int(3)]!, [1, 1, 1, 0, 2, 4][int(6)]!]; // labels too (core/tlp.ts ranks)
          for (const store of [sets, keys]) {
            if (delist) store.prepare(DELIST).run(p.key, publisher);
            else store.prepare(UPSERT).run(...values);
          }
          pending.push(p.key);
          if (random() < 0.05) pending.push(pending[int(pending.length)]!);
        }
        if (random() < 0.15) {
          const members = Array.from({ length: int(4) }, randomPrefix);
          // As an allowlist edit does (queueOverlapping): the prefixes in and around old and new members.
          const touched = [...allowlist.members(), ...members].map((m) => m.key);
          pending.push(...(sets.db.prepare('SELECT DISTINCT key FROM listings').pluck().all() as string[]).filter((k) => touched.some((t) => k.slice(0, 5) === t.slice(0, 5))));
          allowlist = new PrefixSet(members);
        }
        if (random() < 0.3) continue; // several rounds' keys in one projection
        writeTransaction(sets, () => {
          // Counted, so the test fails should every key fall back to the per-key path.
          const general = new KeyProjector(sets, now, allowlist);
          const reproject = general.reproject.bind(general);
          general.reproject = (key) => {
            viaGeneral++;
            reproject(key);
          };
          projectKeys(sets, pending, now, allowlist, general);
        });
        projectedKeys += pending.length;
        writeTransaction(keys, () => {
          const projector = new KeyProjector(keys, now, allowlist);
          for (const key of pending) projector.reproject(key);
        });
        pending = [];
        expect(projected(sets), `round ${round}`).toEqual(projected(keys));
      }
      expect(viaGeneral).toBeLessThan(projectedKeys / 2);
      sets.close();
      keys.close();
    });
  }
});
