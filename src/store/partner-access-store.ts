import { formatTimestamp } from '../core/time.js';
import { writeTransaction, type Store } from './open-store.js';

/*
 * Each partner's access to this node's batch routes (schema.ts `partner_access`), per outcome:
 * `ok` or a refusal's SIGNATURE_* code. Counted in memory by the serving node
 * (serve/metrics/partner-access-counter.ts) and added here about once a minute.
 */

export interface PartnerAccessDelta {
  readonly partner: string;
  readonly outcome: string;
  readonly count: number;
  readonly lastAt: number;
}

/** One partner's access state, as the status report and the console show it. */
export interface PartnerAccess {
  readonly partner: string;
  /** Signed requests served. */
  readonly signed: number;
  readonly lastSignedAt: number | null;
  /** Requests refused, whatever the code. */
  readonly refused: number;
  readonly lastRefusedAt: number | null;
  /** The code of the latest refusal. */
  readonly lastRefusalCode: string | null;
}

export function flushPartnerAccess(store: Store, deltas: readonly PartnerAccessDelta[]): void {
  writeTransaction(store, () => {
    const add = store.prepare(
      `INSERT INTO partner_access (partner, outcome, count, last_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (partner, outcome) DO UPDATE SET count = count + excluded.count, last_at = max(last_at, excluded.last_at)`,
    );
    for (const d of deltas) add.run(d.partner, d.outcome, d.count, d.lastAt);
  });
}

/** Every requester's access state, pinned partners and strangers alike, by name. */
export function partnerAccessStates(store: Store): PartnerAccess[] {
  const rows = store
    .prepare('SELECT partner, outcome, count, last_at AS lastAt FROM partner_access ORDER BY partner, last_at')
    .all() as PartnerAccessDelta[];
  const states = new Map<string, { -readonly [K in keyof PartnerAccess]: PartnerAccess[K] }>();
  for (const row of rows) {
    let s = states.get(row.partner);
    if (!s) states.set(row.partner, (s = { partner: row.partner, signed: 0, lastSignedAt: null, refused: 0, lastRefusedAt: null, lastRefusalCode: null }));
    if (row.outcome === 'ok') {
      s.signed += row.count;
      s.lastSignedAt = row.lastAt;
    } else {
      s.refused += row.count;
      // Rows come in last_at order: the last one seen is the latest refusal.
      s.lastRefusedAt = row.lastAt;
      s.lastRefusalCode = row.outcome;
    }
  }
  return [...states.values()];
}

/** This node's own sealed batches: which were sealed to whom (issue 16, item 4), newest first. */
export function ownSealedBatches(store: Store, self: string, limit: number): { seq: number; issuedAt: number; tlp: number; recipients: string }[] {
  return store
    .prepare('SELECT seq, issued_at AS issuedAt, tlp, recipients FROM batches WHERE publisher = ? AND recipients IS NOT NULL ORDER BY seq DESC LIMIT ?')
    .all(self, limit) as { seq: number; issuedAt: number; tlp: number; recipients: string }[];
}

/** How many of this node's own batches were sealed, in all and to each recipient. */
export function sealedCounts(store: Store, self: string): { batches: number; byRecipient: Record<string, number> } {
  const byRecipient: Record<string, number> = {};
  const rows = store.prepare('SELECT recipients FROM batches WHERE publisher = ? AND recipients IS NOT NULL').pluck().all(self) as string[];
  for (const r of rows) for (const id of r.split(' ')) byRecipient[id] = (byRecipient[id] ?? 0) + 1;
  return { batches: rows.length, byRecipient };
}

const isoOrNull = (ms: number | null) => (ms === null ? null : formatTimestamp(ms));

/**
 * The federation section of `spamx status` and `GET /v1/status`: the access mode, each
 * requester's signed requests and refusals, and this node's sealed batches per recipient.
 */
export function federationStatus(store: Store, self: string, access: 'partners' | 'public') {
  return {
    access,
    requesters: partnerAccessStates(store).map((a) => ({ ...a, lastSignedAt: isoOrNull(a.lastSignedAt), lastRefusedAt: isoOrNull(a.lastRefusedAt) })),
    sealed: sealedCounts(store, self),
  };
}

export type FederationStatus = ReturnType<typeof federationStatus>;
