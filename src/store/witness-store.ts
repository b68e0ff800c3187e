import type { Store } from './open-store.js';

export interface WitnessState {
  readonly publisher: string;
  readonly trustedSize: number;
  readonly trustedRoot: string;
  readonly trustedNote: string;
  readonly frozenAt: number | null;
  readonly frozenReason: string | null;
}

export function witnessState(store: Store, publisher: string): WitnessState | undefined {
  return store
    .prepare(
      `SELECT publisher, trusted_size AS trustedSize, trusted_root AS trustedRoot, trusted_note AS trustedNote,
         frozen_at AS frozenAt, frozen_reason AS frozenReason FROM witness_state WHERE publisher = ?`,
    )
    .get(publisher) as WitnessState | undefined;
}

/** Moves the trusted checkpoint forward; never backwards (the SQL refuses a smaller size). */
export function trustCheckpoint(store: Store, publisher: string, size: number, root: string, note: string): void {
  store
    .prepare(
      `INSERT INTO witness_state (publisher, trusted_size, trusted_root, trusted_note) VALUES (?, ?, ?, ?)
       ON CONFLICT (publisher) DO UPDATE SET trusted_size = excluded.trusted_size, trusted_root = excluded.trusted_root,
         trusted_note = excluded.trusted_note WHERE excluded.trusted_size >= witness_state.trusted_size`,
    )
    .run(publisher, size, root, note);
}

export function freezeFeed(store: Store, publisher: string, reason: string, now: number): void {
  store
    .prepare(
      `INSERT INTO witness_state (publisher, trusted_size, trusted_root, trusted_note, frozen_at, frozen_reason) VALUES (?, 0, '', '', ?, ?)
       ON CONFLICT (publisher) DO UPDATE SET frozen_at = coalesce(witness_state.frozen_at, excluded.frozen_at),
         frozen_reason = coalesce(witness_state.frozen_reason, excluded.frozen_reason)`,
    )
    .run(publisher, now, reason);
}

export function unfreezeFeed(store: Store, publisher: string): boolean {
  return store.prepare('UPDATE witness_state SET frozen_at = NULL, frozen_reason = NULL WHERE publisher = ? AND frozen_at IS NOT NULL').run(publisher).changes > 0;
}

export interface CosignatureRecord {
  readonly publisher: string;
  readonly witness: string;
  readonly size: number;
  readonly root: string;
  readonly timestamp: number;
  readonly note: string;
}

export function saveCosignature(store: Store, c: CosignatureRecord): void {
  const known = store
    .prepare('SELECT 1 FROM cosignatures WHERE publisher = ? AND witness = ? AND size = ? AND root = ? AND timestamp = ?')
    .get(c.publisher, c.witness, c.size, c.root, c.timestamp);
  if (known) return;
  store
    .prepare('INSERT INTO cosignatures (publisher, witness, size, root, timestamp, note) VALUES (?, ?, ?, ?, ?, ?)')
    .run(c.publisher, c.witness, c.size, c.root, c.timestamp, c.note);
}

/** Each witness's latest cosignature of a feed (largest size, then newest). */
export function latestCosignatures(store: Store, publisher: string): CosignatureRecord[] {
  return store
    .prepare(
      `SELECT publisher, witness, size, root, timestamp, note FROM cosignatures c
       WHERE publisher = ? AND id = (SELECT id FROM cosignatures d WHERE d.publisher = c.publisher AND d.witness = c.witness
         ORDER BY size DESC, timestamp DESC, id DESC LIMIT 1)
       ORDER BY witness`,
    )
    .all(publisher) as CosignatureRecord[];
}

export interface EvidenceRecord {
  readonly id: number;
  readonly publisher: string;
  readonly kind: string;
  readonly detail: string;
  readonly noteA: string;
  readonly noteB: string | null;
  readonly at: number;
}

export function recordEvidence(store: Store, e: Omit<EvidenceRecord, 'id'>): void {
  const known = store.prepare('SELECT 1 FROM evidence WHERE publisher = ? AND kind = ? AND note_a = ? AND note_b IS ?').get(e.publisher, e.kind, e.noteA, e.noteB);
  if (known) return;
  store
    .prepare('INSERT INTO evidence (publisher, kind, detail, note_a, note_b, at) VALUES (?, ?, ?, ?, ?, ?)')
    .run(e.publisher, e.kind, e.detail, e.noteA, e.noteB, e.at);
}

export function listEvidence(store: Store, publisher?: string): EvidenceRecord[] {
  return store
    .prepare(
      `SELECT id, publisher, kind, detail, note_a AS noteA, note_b AS noteB, at FROM evidence
       WHERE (@publisher IS NULL OR publisher = @publisher) ORDER BY id`,
    )
    .all({ publisher: publisher ?? null }) as EvidenceRecord[];
}
