import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import { flushSubscriberUsage, subscriberUsageSince, usageHourOf } from '../../src/store/subscriber-usage-store.js';
import { DnsQueryCounts } from '../../src/serve/dnsbl/dns-query-counts.js';
import { tempDir } from '../helpers/temp-dir.js';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 11, 6, 14, 25);

describe('subscriber usage', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('sums hours from the one holding `since`, keeps the latest use ever, and prunes past 8 days', () => {
    const store = openStore(`${tmp.path}/usage.db`);
    flushSubscriberUsage(store, [{ subscriberId: 1, requests: 5, limited: 1, lastUsedAt: NOW - 2 * HOUR }], NOW - 2 * HOUR);
    flushSubscriberUsage(store, [{ subscriberId: 1, requests: 3, limited: 0, lastUsedAt: NOW - 60_000 }], NOW - 60_000);
    flushSubscriberUsage(store, [{ subscriberId: 1, requests: 2, limited: 2, lastUsedAt: NOW }, { subscriberId: 2, requests: 1, limited: 0, lastUsedAt: NOW - 3 * HOUR }], NOW);
    // Since a time inside this hour: the whole hour counts.
    expect(subscriberUsageSince(store, NOW - 10 * 60_000)).toEqual(
      new Map([
        [1, { subscriberId: 1, requests: 5, limited: 2, lastUsedAt: NOW }],
        [2, { subscriberId: 2, requests: 1, limited: 0, lastUsedAt: NOW - 3 * HOUR }],
      ]),
    );
    expect(subscriberUsageSince(store, 0).get(1)).toEqual({ subscriberId: 1, requests: 10, limited: 3, lastUsedAt: NOW });
    // A subscriber whose use is all before `since` still has its last use.
    flushSubscriberUsage(store, [{ subscriberId: 3, requests: 4, limited: 0, lastUsedAt: NOW - 7 * 24 * HOUR }], NOW - 7 * 24 * HOUR);
    expect(subscriberUsageSince(store, NOW - HOUR).get(3)).toEqual({ subscriberId: 3, requests: 0, limited: 0, lastUsedAt: NOW - 7 * 24 * HOUR });
    // Nine days on, a flush prunes every hour older than 8 days.
    flushSubscriberUsage(store, [{ subscriberId: 2, requests: 1, limited: 0, lastUsedAt: NOW + 9 * 24 * HOUR }], NOW + 9 * 24 * HOUR);
    expect([...subscriberUsageSince(store, 0).keys()]).toEqual([2]);
    expect(usageHourOf(NOW)).toBe(Date.UTC(2026, 11, 6, 14));
    store.close();
  });
});

describe('DNSBL query counts', () => {
  const reply = (rcode: number, answers: number) => {
    const b = Buffer.alloc(12);
    b.writeUInt16BE(0x8400 | rcode, 2);
    b.writeUInt16BE(answers, 6);
    return b;
  };
  it('read the answer off the response header', () => {
    const counts = new DnsQueryCounts();
    counts.count(reply(0, 1), 'udp');
    counts.count(reply(3, 0), 'udp');
    counts.count(reply(0, 0), 'tcp');
    counts.count(reply(5, 0), 'tcp');
    counts.count(reply(1, 0), 'udp');
    counts.count(reply(4, 0), 'udp');
    counts.count(undefined, 'tcp');
    // [udp: listed, not_listed, nodata, refused, formerr, other, dropped, tcp: …]
    expect([...counts.counts]).toEqual([1, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 1]);
  });
});
