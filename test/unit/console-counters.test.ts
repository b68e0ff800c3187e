import { afterAll, describe, expect, it } from 'vitest';
import { advanceConsoleCounters, listingMonths, listSizeHours, refusalMonths } from '../../src/store/console-counters.js';
import { monthHolding } from '../../src/core/report-month.js';
import { openStore, type Store } from '../../src/store/open-store.js';
import { tempDir } from '../helpers/temp-dir.js';

const OCT = Date.UTC(2026, 9, 20, 10, 30);
const NOV = Date.UTC(2026, 10, 3, 8, 15);
const HOUR = 3_600_000;

function piece(store: Store, key: string, prefix: string, sources: string, listedAt: number): void {
  store.db
    .prepare(
      `INSERT INTO effective (key, prefix, refs, first_seen, last_seen, reports, expires, next_expiry, sources, source_count, listed_at)
       VALUES (?, ?, 1, ?, ?, 1, ?, ?, ?, ?, ?)`,
    )
    .run(key, prefix, listedAt, listedAt, listedAt + 1e10, listedAt + 1e10, sources, sources.split(' ').length, listedAt);
}
const change = (store: Store, op: string, prefix: string, at: number, sources: string | null) =>
  store.db.prepare('INSERT INTO changes (op, key, prefix, at, piece_id, sources) VALUES (?, ?, ?, ?, 1, ?)').run(op, prefix, prefix, at, sources);
const refusal = (store: Store, publisher: string, code: string, at: number) =>
  store.db.prepare("INSERT INTO refusals (publisher, seq, entry_index, prefix, code, reason, at) VALUES (?, 1, 0, '10.0.0.1/32', ?, 'test', ?)").run(publisher, code, at);

describe('console counters', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('start from what is listed, then follow the logs once, whichever order rows come in', () => {
    const store = openStore(`${tmp.path}/counters.db`);
    piece(store, 'a', '1.0.0.1/32', 'cn-isc hk-ofta', OCT);
    piece(store, 'b', '1.0.0.2/32', 'cn-isc', OCT);
    change(store, 'added', '1.0.0.1/32', OCT, 'cn-isc hk-ofta');
    change(store, 'added', '1.0.0.2/32', OCT, 'cn-isc');
    refusal(store, 'cn-isc', 'SPECIAL_PURPOSE', OCT);

    // The first call stands the listed pieces in for the history, and the logs are followed from their ends.
    advanceConsoleCounters(store);
    expect(listingMonths(store)).toEqual([
      { month: '2026-10', source: 'cn-isc', started: 2, ended: 0 },
      { month: '2026-10', source: 'hk-ofta', started: 1, ended: 0 },
    ]);
    expect(listSizeHours(store)).toEqual([{ hour: OCT - (OCT % HOUR), listed: 2 }]);
    expect(refusalMonths(store)).toEqual([{ month: '2026-10', publisher: 'cn-isc', code: 'SPECIAL_PURPOSE', count: 1 }]);

    change(store, 'added', '1.0.0.3/32', NOV, 'tw-ncc');
    change(store, 'updated', '1.0.0.1/32', NOV, 'cn-isc');
    change(store, 'removed', '1.0.0.2/32', NOV + HOUR, 'cn-isc');
    change(store, 'added', '1.0.0.4/32', NOV + HOUR, 'tw-ncc hk-ofta');
    refusal(store, 'tw-ncc', 'SPECIAL_PURPOSE', NOV);
    refusal(store, 'tw-ncc', 'SPECIAL_PURPOSE', NOV);
    refusal(store, 'tw-ncc', 'PREFIX_TOO_SHORT', NOV);
    advanceConsoleCounters(store);
    // A second call with nothing new counts nothing again.
    expect(advanceConsoleCounters(store)).toBe(0);

    expect(listingMonths(store, '2026-11', '2026-11')).toEqual([
      { month: '2026-11', source: 'cn-isc', started: 0, ended: 1 },
      { month: '2026-11', source: 'hk-ofta', started: 1, ended: 0 },
      { month: '2026-11', source: 'tw-ncc', started: 2, ended: 0 },
    ]);
    expect(listSizeHours(store, NOV - HOUR)).toEqual([
      { hour: NOV - (NOV % HOUR), listed: 3 },
      { hour: NOV + HOUR - ((NOV + HOUR) % HOUR), listed: 3 },
    ]);
    expect(refusalMonths(store, '2026-11')).toEqual([
      { month: '2026-11', publisher: 'tw-ncc', code: 'PREFIX_TOO_SHORT', count: 1 },
      { month: '2026-11', publisher: 'tw-ncc', code: 'SPECIAL_PURPOSE', count: 2 },
    ]);
    store.close();
  });

  it('names months in UTC', () => {
    expect(monthHolding(Date.UTC(2026, 10, 30, 23, 59)).name).toBe('2026-11');
    expect(monthHolding(Date.UTC(2026, 11, 1, 0, 0)).name).toBe('2026-12');
  });
});
