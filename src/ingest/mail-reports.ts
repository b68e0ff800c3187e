import { analyseMessage } from '../core/mail-message.js';
import { originSeenAt, type MailVerdict, type TrustedRelays } from '../core/mail-origin.js';
import type { ParsedReport } from '../core/report.js';
import { formatTimestamp } from '../core/time.js';
import { readMail, type RawMessage } from './mail-sources.js';

/** Messages whose origins are aggregated and queued at a time: each group is one call of `queue` (one transaction). */
export const MAIL_GROUP_MESSAGES = 8192;

/** One address's reports in a group, as `POST /v1/reports` takes them (core/report.ts parseReportObjects). */
export interface MailReportObject {
  readonly prefix: string;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly reports: number;
}

export interface MailRunOptions {
  readonly trusted: TrustedRelays;
  readonly clock: () => number;
  /** The origin's country (the node's origin data), or null when the data has none. */
  readonly countryOf: (address: string) => string | null;
  /** Queues a group's report objects under local policy (or only evaluates them, in a dry run). */
  readonly queue: (objects: MailReportObject[]) => ParsedReport;
  /** A message that gave no origin, or whose origin local policy refused, as met. */
  readonly refused?: (source: string, code: string, reason: string) => void;
  readonly brokenSeparator?: (source: string, why: string) => void;
  /** After each message: messages read and bytes read so far. */
  readonly progress?: (p: { readonly messages: number; readonly bytes: number }) => void;
  /** After each group was queued. */
  readonly queuedGroup?: (objects: readonly MailReportObject[], parsed: ParsedReport) => void;
}

/** What a run did (`spamx report --mail`'s summary). Every message read is queued or refused under one code. */
export interface MailRunSummary {
  readonly messages: number;
  readonly bytes: number;
  /** Messages whose origin was found (queued, or refused by local policy). */
  readonly origins: number;
  /** Messages whose origin was queued (would be, in a dry run). */
  readonly queued: number;
  /** Report lines queued: an address with its count, earliest and latest hop, per group. */
  readonly reportLines: number;
  readonly via: { readonly received: number; readonly arf: number; readonly 'x-arf': number };
  /** By code, most first: messages, and the first reason met. */
  readonly refused: readonly { readonly code: string; readonly messages: number; readonly example: string }[];
  /** Messages by the origin's country (registration, as `spamx stats --by country`), most first; null: not in the data. */
  readonly byCountry: readonly { readonly country: string | null; readonly messages: number }[];
  readonly brokenSeparators: number;
}

interface Pending {
  count: number;
  first: number;
  last: number;
  source: string;
}

/**
 * Reads every message of `paths` (ingest/mail-sources.ts), finds each one's origin
 * (core/mail-message.ts) and queues the origins a group at a time: reports of one address in a
 * group become one report line (count, earliest and latest hop), and publishing merges lines of
 * one address across groups as it merges any reports (core/report-merge.ts). Memory is a group's
 * addresses; a message that cannot be used is counted under its code and the run goes on.
 */
export async function reportMail(paths: readonly string[], o: MailRunOptions): Promise<MailRunSummary> {
  let messages = 0;
  let bytes = 0;
  let origins = 0;
  let queued = 0;
  let reportLines = 0;
  let brokenSeparators = 0;
  const via = { received: 0, arf: 0, 'x-arf': 0 };
  const refused = new Map<string, { messages: number; example: string }>();
  const countries = new Map<string | null, number>();
  let group = new Map<string, Pending>();
  let inGroup = 0;

  const refuse = (source: string, code: string, reason: string, count: number): void => {
    const r = refused.get(code);
    if (r) r.messages += count;
    else refused.set(code, { messages: count, example: reason });
    o.refused?.(source, code, reason);
  };

  const flush = (): void => {
    if (group.size === 0) return;
    const pending = [...group.values()];
    const objects = [...group.entries()].map(([prefix, p]) => ({ prefix, firstSeen: formatTimestamp(p.first), lastSeen: formatTimestamp(p.last), reports: p.count }));
    group = new Map();
    inGroup = 0;
    const parsed = o.queue(objects);
    const refusedAt = new Set<number>();
    for (const r of parsed.refused) {
      const p = pending[r.line - 1]!;
      refusedAt.add(r.line - 1);
      refuse(p.source, r.code, `${objects[r.line - 1]!.prefix}: ${r.reason}`, p.count);
    }
    pending.forEach((p, i) => {
      if (!refusedAt.has(i)) queued += p.count;
    });
    reportLines += parsed.accepted.length;
    o.queuedGroup?.(objects, parsed);
  };

  const events = {
    bytes: (n: number) => {
      bytes = n;
    },
    brokenSeparator: (source: string, why: string) => {
      brokenSeparators++;
      o.brokenSeparator?.(source, why);
    },
  };
  for (const raw of readMail(paths, events)) {
    messages++;
    const verdict = await verdictOf(raw, o.trusted);
    if (!verdict.ok) refuse(raw.source, verdict.code, verdict.reason, 1);
    else {
      origins++;
      via[verdict.via]++;
      const country = o.countryOf(verdict.address);
      countries.set(country, (countries.get(country) ?? 0) + 1);
      const at = originSeenAt(verdict, o.clock());
      const p = group.get(verdict.address);
      if (p) {
        p.count++;
        p.first = Math.min(p.first, at);
        p.last = Math.max(p.last, at);
      } else group.set(verdict.address, { count: 1, first: at, last: at, source: raw.source });
    }
    if (++inGroup >= MAIL_GROUP_MESSAGES) flush();
    o.progress?.({ messages, bytes });
  }
  flush();
  return {
    messages,
    bytes,
    origins,
    queued,
    reportLines,
    via,
    refused: [...refused.entries()].map(([code, r]) => ({ code, ...r })).sort((a, b) => b.messages - a.messages || a.code.localeCompare(b.code)),
    byCountry: [...countries.entries()].map(([country, n]) => ({ country, messages: n })).sort((a, b) => b.messages - a.messages || String(a.country).localeCompare(String(b.country))),
    brokenSeparators,
  };
}

async function verdictOf(raw: RawMessage, trusted: TrustedRelays): Promise<MailVerdict> {
  if (raw.problem) return raw.problem;
  return analyseMessage(raw.header!, raw.body, trusted);
}
