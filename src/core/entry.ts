import type { RefusalCode } from './errors.js';
import { parsePrefix, type Prefix } from './prefix.js';
import { parseTimestamp } from './time.js';

export const DEFAULT_CATEGORY = 'spam-origin';

export interface ListEntry {
  readonly op: 'list';
  readonly prefix: Prefix;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly reports: number;
  readonly expires: number;
  readonly category: string;
}

export interface DelistEntry {
  readonly op: 'delist';
  readonly prefix: Prefix;
  readonly reason: string | null;
}

export type Entry = ListEntry | DelistEntry;

export interface EntryRefusal {
  readonly code: RefusalCode;
  readonly reason: string;
  /** The prefix as the entry gave it, when it gave a string. */
  readonly prefixText: string | null;
}

export type EntryCheck = { readonly ok: true; readonly entry: Entry } | ({ readonly ok: false } & EntryRefusal);

const MAX_TEXT = 256;

function malformed(reason: string, prefixText: string | null): EntryCheck {
  return { ok: false, code: 'ENTRY_MALFORMED', reason, prefixText };
}

/** Checks one wire entry of PROTOCOL "Batch" and turns it into its internal shape. */
export function checkEntry(raw: unknown): EntryCheck {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return malformed('entry is not a JSON object', null);
  }
  const e = raw as Record<string, unknown>;
  const prefixText = typeof e.prefix === 'string' ? e.prefix : null;
  if (prefixText === null) return malformed('"prefix" is missing or not a string', null);
  if (e.op !== 'list' && e.op !== 'delist') {
    return malformed(`"op" must be "list" or "delist", got ${JSON.stringify(e.op) ?? 'nothing'}`, prefixText);
  }
  const parsed = parsePrefix(prefixText);
  if (!parsed.ok) return { ok: false, code: parsed.code, reason: parsed.reason, prefixText };
  if (e.op === 'delist') {
    if (e.reason !== undefined && (typeof e.reason !== 'string' || e.reason.length > MAX_TEXT)) {
      return malformed(`"reason" must be a string of at most ${MAX_TEXT} characters`, prefixText);
    }
    return { ok: true, entry: { op: 'delist', prefix: parsed.prefix, reason: (e.reason as string | undefined) ?? null } };
  }
  const firstSeen = parseTimestamp(e.firstSeen);
  const lastSeen = parseTimestamp(e.lastSeen);
  const expires = parseTimestamp(e.expires);
  if (firstSeen === undefined) return malformed('"firstSeen" is not an RFC 3339 UTC timestamp', prefixText);
  if (lastSeen === undefined) return malformed('"lastSeen" is not an RFC 3339 UTC timestamp', prefixText);
  if (expires === undefined) return malformed('"expires" is not an RFC 3339 UTC timestamp', prefixText);
  if (firstSeen > lastSeen) return malformed('"firstSeen" is after "lastSeen"', prefixText);
  if (!Number.isSafeInteger(e.reports) || (e.reports as number) < 1) {
    return malformed('"reports" must be a positive integer', prefixText);
  }
  if (e.category !== undefined && (typeof e.category !== 'string' || e.category.length > MAX_TEXT)) {
    return malformed(`"category" must be a string of at most ${MAX_TEXT} characters`, prefixText);
  }
  return {
    ok: true,
    entry: {
      op: 'list',
      prefix: parsed.prefix,
      firstSeen,
      lastSeen,
      reports: e.reports as number,
      expires,
      category: (e.category as string | undefined) ?? DEFAULT_CATEGORY,
    },
  };
}
