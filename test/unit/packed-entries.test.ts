import { describe, expect, it } from 'vitest';
import type { Entry } from '../../src/core/entry.js';
import { ColumnReader, DELIST, EntryColumns, LIST, packEntries } from '../../src/core/packed-entries.js';
import { DAY_MS } from '../../src/core/time.js';
import { prefix, T0 } from './fixtures.js';

function listed(text: string, i: number): Entry {
  return { op: 'list', prefix: prefix(text), firstSeen: T0 - i, lastSeen: T0 + i, reports: i + 1, expires: T0 + (i % 40) * DAY_MS, category: i % 3 ? 'spam-origin' : 'botnet' };
}

/** 3,000 entries (past the columns' first growth), IPv4 and IPv6, delists among them, shuffled. */
function shuffledEntries(withV6: boolean): { entries: Entry[]; indexes: number[] } {
  const entries: Entry[] = [];
  for (let i = 0; i < 3000; i++) {
    const text = withV6 && i % 5 === 0 ? `2400:cb00:${i.toString(16)}::/48` : `61.${4 + (i % 7)}.${i >> 8}.${i & 255}/32`;
    entries.push(i % 11 === 0 ? { op: 'delist', prefix: prefix(text), reason: i % 2 ? `reason ${i}` : null } : listed(text, i));
  }
  let seed = 7;
  for (let i = entries.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const j = seed % (i + 1);
    [entries[i], entries[j]] = [entries[j]!, entries[i]!];
  }
  return { entries, indexes: entries.map((_, i) => 1000 + i) };
}

const text = (column: Uint8Array) => Buffer.from(column).toString('latin1');
const bytes = (value: string) => new TextEncoder().encode(value);

describe('EntryColumns', () => {
  it.each([false, true])('packs entries in key order, each column following its entry (IPv6 too: %s)', (withV6) => {
    const { entries, indexes } = shuffledEntries(withV6);
    const cap = T0 + 20 * DAY_MS;
    const columns = new EntryColumns();
    entries.forEach((e, i) => columns.push(e, indexes[i]!));
    const packed = columns.pack(cap);
    expect(packed.count).toBe(entries.length);
    const keys = text(packed.keys).split('\n');
    const prefixes = text(packed.prefixes).split('\n');
    expect([...keys].sort()).toEqual(keys);
    const byText = new Map(entries.map((e, i) => [e.prefix.text, { e, index: indexes[i]! }]));
    for (let i = 0; i < packed.count; i++) {
      const { e, index } = byText.get(prefixes[i]!)!;
      expect(keys[i]).toBe(e.prefix.key);
      expect(packed.indexes[i]).toBe(index);
      if (e.op === 'delist') {
        expect(packed.ops[i]).toBe(DELIST);
        expect(packed.reasons[i]).toBe(e.reason ?? undefined);
        continue;
      }
      expect(packed.ops[i]).toBe(LIST);
      expect(packed.categories[packed.categoryOf[i]!]).toBe(e.category);
      expect(Array.from(packed.numbers.subarray(i * 4, i * 4 + 4))).toEqual([e.firstSeen, e.lastSeen, Math.min(e.expires, cap), e.reports]);
    }
  });

  it('is what packEntries gives for the same entries', () => {
    const { entries, indexes } = shuffledEntries(true);
    const columns = new EntryColumns();
    entries.forEach((e, i) => columns.push(e, indexes[i]!));
    expect(columns.pack()).toEqual(packEntries(entries, indexes));
  });

  it('orders one start address with several lengths shorter first, and lists the lengths present', () => {
    const texts = ['61.4.0.0/24', '61.4.0.0/32', '2400:cb00::/32', '61.4.0.0/16', '61.3.255.255/32', '61.4.0.1/32', '2400:cb00::/48'];
    for (const onlyV4 of [true, false]) {
      const chosen = onlyV4 ? texts.filter((t) => !t.includes(':')) : texts;
      const columns = new EntryColumns();
      chosen.forEach((t, i) => columns.push(listed(t, i), i));
      const packed = columns.pack();
      const expected = chosen.map((t) => prefix(t)).sort((a, b) => (a.key < b.key ? -1 : 1));
      expect(text(packed.prefixes).split('\n')).toEqual(expected.map((p) => p.text));
      expect([...packed.familyLengths].sort()).toEqual([...new Set(expected.map((p) => p.key[0]! + p.key.slice(-2)))].sort());
    }
  });

  it('packs nothing', () => {
    const packed = new EntryColumns().pack();
    expect(packed.count).toBe(0);
    expect(packed.keys).toEqual(new Uint8Array(0));
  });
});

describe('ColumnReader', () => {
  it('reads a newline-joined column back one value at a time', () => {
    const values = ['40a040c0720', '61.4.12.7/32', '2400:cb00::/32'];
    const reader = new ColumnReader(bytes(values.join('\n')));
    expect(values.map(() => reader.next())).toEqual(values);
    expect(new ColumnReader(bytes('only')).next()).toBe('only');
    // A view at an offset into a larger buffer, as columns arrive from the reader thread.
    const inside = bytes('xx61.4.12.7/32\n2400:cb00::/32yy').subarray(2, -2);
    const offset = new ColumnReader(inside);
    expect([offset.next(), offset.next()]).toEqual(['61.4.12.7/32', '2400:cb00::/32']);
  });
});
