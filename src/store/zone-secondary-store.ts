import { sql } from 'drizzle-orm';
import type { Store } from './open-store.js';
import { zoneSecondaries } from './schema.js';

/*
 * What the node knows of each DNS secondary (`zone_secondaries`): keyed by its NOTIFY target
 * ("host:port", `dnsbl.notify`) or, for a client not configured as one, by its address.
 */

export interface ZoneSecondaryRow {
  readonly secondary: string;
  readonly lastSerial: number | null;
  readonly lastAckAt: number | null;
  readonly lastTransferAt: number | null;
  readonly lastTransferKind: string | null;
  readonly refused: number;
  readonly lastError: string | null;
  readonly lastErrorAt: number | null;
}

/** A NOTIFY the secondary answered, for `serial`. */
export function recordNotifyAck(store: Store, secondary: string, serial: number, at: number): void {
  store.orm
    .insert(zoneSecondaries)
    .values({ secondary, lastSerial: serial, lastAckAt: at })
    .onConflictDoUpdate({ target: zoneSecondaries.secondary, set: { lastSerial: serial, lastAckAt: at } })
    .run();
}

/** A transfer served to the secondary, up to `serial`. */
export function recordTransfer(store: Store, secondary: string, kind: 'AXFR' | 'IXFR', serial: number, at: number): void {
  store.orm
    .insert(zoneSecondaries)
    .values({ secondary, lastSerial: serial, lastTransferAt: at, lastTransferKind: kind })
    .onConflictDoUpdate({ target: zoneSecondaries.secondary, set: { lastSerial: serial, lastTransferAt: at, lastTransferKind: kind } })
    .run();
}

/** A transfer refused to this client (not allowed, or a TSIG that did not verify). */
export function recordRefusal(store: Store, secondary: string, reason: string, at: number): void {
  store.orm
    .insert(zoneSecondaries)
    .values({ secondary, refused: 1, lastError: reason, lastErrorAt: at })
    .onConflictDoUpdate({ target: zoneSecondaries.secondary, set: { refused: sql`${zoneSecondaries.refused} + 1`, lastError: reason, lastErrorAt: at } })
    .run();
}

/** A NOTIFY that went unanswered (kept as the last error; the retry goes on). */
export function recordNotifyError(store: Store, secondary: string, reason: string, at: number): void {
  store.orm
    .insert(zoneSecondaries)
    .values({ secondary, lastError: reason, lastErrorAt: at })
    .onConflictDoUpdate({ target: zoneSecondaries.secondary, set: { lastError: reason, lastErrorAt: at } })
    .run();
}

export function listZoneSecondaries(store: Store): ZoneSecondaryRow[] {
  return store.orm.select().from(zoneSecondaries).orderBy(zoneSecondaries.secondary).all();
}
