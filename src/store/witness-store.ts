import { and, desc, eq, isNotNull, isNull, lte, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import type { Store } from './open-store.js';
import { cosignatures, evidence, witnessState as witnessStates } from './schema.js';

/*
 * A witness's records (cold: a few reads and writes per pull, per audit, per status), on
 * drizzle's query builder.
 */

export interface WitnessState {
  readonly publisher: string;
  readonly trustedSize: number;
  readonly trustedRoot: string;
  readonly trustedNote: string;
  readonly frozenAt: number | null;
  readonly frozenReason: string | null;
}

const STATE = {
  publisher: witnessStates.publisher,
  trustedSize: witnessStates.trustedSize,
  trustedRoot: witnessStates.trustedRoot,
  trustedNote: witnessStates.trustedNote,
  frozenAt: witnessStates.frozenAt,
  frozenReason: witnessStates.frozenReason,
};

export function witnessState(store: Store, publisher: string): WitnessState | undefined {
  return store.orm.select(STATE).from(witnessStates).where(eq(witnessStates.publisher, publisher)).get();
}

/** Moves the trusted checkpoint forward; never backwards (the upsert refuses a smaller size). */
export function trustCheckpoint(store: Store, publisher: string, size: number, root: string, note: string): void {
  store.orm
    .insert(witnessStates)
    .values({ publisher, trustedSize: size, trustedRoot: root, trustedNote: note })
    .onConflictDoUpdate({
      target: witnessStates.publisher,
      set: { trustedSize: size, trustedRoot: root, trustedNote: note },
      setWhere: lte(witnessStates.trustedSize, size),
    })
    .run();
}

/** Freezes a feed; a feed already frozen keeps its first time and reason. */
export function freezeFeed(store: Store, publisher: string, reason: string, now: number): void {
  store.orm
    .insert(witnessStates)
    .values({ publisher, trustedSize: 0, trustedRoot: '', trustedNote: '', frozenAt: now, frozenReason: reason })
    .onConflictDoUpdate({
      target: witnessStates.publisher,
      set: { frozenAt: sql`coalesce(${witnessStates.frozenAt}, ${now})`, frozenReason: sql`coalesce(${witnessStates.frozenReason}, ${reason})` },
    })
    .run();
}

export function unfreezeFeed(store: Store, publisher: string): boolean {
  return (
    store.orm
      .update(witnessStates)
      .set({ frozenAt: null, frozenReason: null })
      .where(and(eq(witnessStates.publisher, publisher), isNotNull(witnessStates.frozenAt)))
      .run().changes > 0
  );
}

export interface CosignatureRecord {
  readonly publisher: string;
  readonly witness: string;
  readonly size: number;
  readonly root: string;
  readonly timestamp: number;
  readonly note: string;
}

const COSIGNATURE = {
  publisher: cosignatures.publisher,
  witness: cosignatures.witness,
  size: cosignatures.size,
  root: cosignatures.root,
  timestamp: cosignatures.timestamp,
  note: cosignatures.note,
};

export function saveCosignature(store: Store, c: CosignatureRecord): void {
  const known = store.orm
    .select({ id: cosignatures.id })
    .from(cosignatures)
    .where(
      and(
        eq(cosignatures.publisher, c.publisher),
        eq(cosignatures.witness, c.witness),
        eq(cosignatures.size, c.size),
        eq(cosignatures.root, c.root),
        eq(cosignatures.timestamp, c.timestamp),
      ),
    )
    .get();
  if (known) return;
  store.orm
    .insert(cosignatures)
    .values({ publisher: c.publisher, witness: c.witness, size: c.size, root: c.root, timestamp: c.timestamp, note: c.note })
    .run();
}

/** Each witness's latest cosignature of a feed (largest size, then newest). */
export function latestCosignatures(store: Store, publisher: string): CosignatureRecord[] {
  const d = alias(cosignatures, 'd');
  const latestOfWitness = store.orm
    .select({ id: d.id })
    .from(d)
    .where(and(eq(d.publisher, cosignatures.publisher), eq(d.witness, cosignatures.witness)))
    .orderBy(desc(d.size), desc(d.timestamp), desc(d.id))
    .limit(1);
  return store.orm
    .select(COSIGNATURE)
    .from(cosignatures)
    .where(and(eq(cosignatures.publisher, publisher), eq(cosignatures.id, latestOfWitness)))
    .orderBy(cosignatures.witness)
    .all();
}

/** The note of `witness`'s latest cosignature of a feed (largest size, then newest). */
export function cosignedNote(store: Store, publisher: string, witness: string): string | undefined {
  return store.orm
    .select({ note: cosignatures.note })
    .from(cosignatures)
    .where(and(eq(cosignatures.publisher, publisher), eq(cosignatures.witness, witness)))
    .orderBy(desc(cosignatures.size), desc(cosignatures.timestamp), desc(cosignatures.id))
    .limit(1)
    .get()?.note;
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
  const known = store.orm
    .select({ id: evidence.id })
    .from(evidence)
    .where(
      and(
        eq(evidence.publisher, e.publisher),
        eq(evidence.kind, e.kind),
        eq(evidence.noteA, e.noteA),
        e.noteB === null ? isNull(evidence.noteB) : eq(evidence.noteB, e.noteB),
      ),
    )
    .get();
  if (known) return;
  store.orm
    .insert(evidence)
    .values({ publisher: e.publisher, kind: e.kind, detail: e.detail, noteA: e.noteA, noteB: e.noteB, at: e.at })
    .run();
}

export function listEvidence(store: Store, publisher?: string): EvidenceRecord[] {
  return store.orm
    .select({
      id: evidence.id,
      publisher: evidence.publisher,
      kind: evidence.kind,
      detail: evidence.detail,
      noteA: evidence.noteA,
      noteB: evidence.noteB,
      at: evidence.at,
    })
    .from(evidence)
    .where(publisher === undefined ? undefined : eq(evidence.publisher, publisher))
    .orderBy(evidence.id)
    .all();
}
