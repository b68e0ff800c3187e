import { like } from 'drizzle-orm';
import { formatTimestamp } from '../core/time.js';
import { writeTransaction, type Store } from './open-store.js';
import { meta } from './schema.js';
import { listSubscribers } from './subscriber-store.js';

/*
 * Each subscriber key's last poll by `spamx mirror` (its User-Agent `spamx-mirror/<version>`),
 * so the operator sees which ISPs run a mirror and whether it still follows (issue 17 item 4).
 * The serving node notes polls in memory (serve/metrics/subscriber-usage.ts) and writes them with
 * the usage flush, about once a minute: one small row per key in `meta` (`mirror_poll.<id>`),
 * read by `spamx status`, `GET /v1/status` and the console's subscribers page.
 */

const PREFIX = 'mirror_poll.';

export interface MirrorPollDelta {
  readonly subscriberId: number;
  /** When the latest poll came, ms. */
  readonly at: number;
  /** The mirror's User-Agent, e.g. `spamx-mirror/0.9.0`. */
  readonly agent: string;
}

export interface MirrorPoll {
  readonly subscriber: string;
  readonly agent: string;
  /** RFC 3339. */
  readonly lastPollAt: string;
  readonly revoked: boolean;
}

/** Records each key's latest poll (a later one already written is kept). */
export function flushMirrorPolls(store: Store, polls: readonly MirrorPollDelta[]): void {
  if (polls.length === 0) return;
  writeTransaction(store, () => {
    const known = new Map(
      store.orm
        .select({ name: meta.name, value: meta.value })
        .from(meta)
        .where(like(meta.name, `${PREFIX}%`))
        .all()
        .map((r) => [r.name, r.value]),
    );
    for (const p of polls) {
      const name = `${PREFIX}${p.subscriberId}`;
      const before = known.get(name);
      if (before !== undefined && (JSON.parse(before) as { at: number }).at >= p.at) continue;
      const value = JSON.stringify({ at: p.at, agent: p.agent.slice(0, 100) });
      store.orm.insert(meta).values({ name, value }).onConflictDoUpdate({ target: meta.name, set: { value } }).run();
    }
  });
}

/** Every key a mirror has polled with, by subscriber name, the latest poll first. */
export function mirrorPolls(store: Store): MirrorPoll[] {
  const rows = store.orm.select({ name: meta.name, value: meta.value }).from(meta).where(like(meta.name, `${PREFIX}%`)).all();
  if (rows.length === 0) return [];
  const subscribers = new Map(listSubscribers(store).map((s) => [s.id, s]));
  const polls: (MirrorPoll & { at: number })[] = [];
  for (const row of rows) {
    const s = subscribers.get(Number(row.name.slice(PREFIX.length)));
    if (!s) continue; // a deleted key's row says nothing useful
    const { at, agent } = JSON.parse(row.value) as { at: number; agent: string };
    polls.push({ subscriber: s.name, agent, lastPollAt: formatTimestamp(at), revoked: s.revokedAt !== null, at });
  }
  return polls.sort((a, b) => b.at - a.at).map(({ at: _at, ...p }) => p);
}
