import { parse as parseCsv } from 'csv-parse/sync';
import { clipReason, clipText } from './clip-text.js';
import type { EntryRefusal } from './entry.js';
import { SpamxError } from './errors.js';
import { parsePrefix, type Prefix } from './prefix.js';
import { policyRefusal, type Policy } from './policy.js';
import { LineSplitter, MAX_LINE_CHARS, type ReportLine } from './report-lines.js';
import { parseTimestamp } from './time.js';

/** One observation queued for the next batch of this node's own feed. */
export interface QueuedReport {
  readonly op: 'list' | 'delist';
  readonly prefix: Prefix;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly reports: number;
  readonly expires: number | null;
  readonly category: string | null;
  readonly reason: string | null;
}

/** A refused line; its text, prefix text and reason are clipped (clip-text.ts), as stored and shown. */
export interface ReportLineRefusal extends EntryRefusal {
  readonly line: number;
  readonly text: string;
}

export interface ParsedReport {
  readonly accepted: QueuedReport[];
  readonly refused: ReportLineRefusal[];
}

export const CSV_COLUMNS = ['prefix', 'first_seen', 'last_seen', 'reports', 'expires', 'category'] as const;

/**
 * Reads a report file: plain (one address or prefix per line, `#` comments) or CSV with the
 * header `prefix,first_seen,last_seen,reports,expires,category` (any subset of those columns
 * after `prefix`, in any order). Plain lines are one report each, seen at `now`. Each line is
 * checked against local policy here, so the operator learns at once what will not be sent.
 */
export function parseReport(text: string, now: number, policy: Policy): ParsedReport {
  const firstLine = text.split('\n', 64).find(isReportContent) ?? '';
  const rows = reportFormatOf(firstLine) === 'csv' ? csvRows(text) : plainRows(text);
  return evaluateReportRows(rows, now, policy);
}

export type ReportFormat = 'plain' | 'csv';

/** A report is CSV when its first line that is neither blank nor a comment is a header naming `prefix` first. */
export function reportFormatOf(firstContentLine: string): ReportFormat {
  return /^\s*prefix\s*(,|$)/i.test(firstContentLine) ? 'csv' : 'plain';
}

/** Neither blank nor a `#` comment. */
export function isReportContent(line: string): boolean {
  const t = line.trim();
  return t !== '' && !t.startsWith('#');
}

/**
 * Reports given as JSON objects (`POST /v1/reports` with application/json): the CSV columns in
 * camelCase (`prefix`, `firstSeen`, `lastSeen`, `reports`, `expires`, `category`).
 */
export function parseReportObjects(objects: readonly unknown[], now: number, policy: Policy): ParsedReport {
  const names: Record<string, string> = { firstSeen: 'first_seen', lastSeen: 'last_seen' };
  const rows = objects.map((o, i): Row => {
    const fields: Record<string, string> = {};
    if (typeof o === 'object' && o !== null && !Array.isArray(o)) {
      for (const [k, v] of Object.entries(o)) {
        // A JSON null means "not given", like an empty CSV field, not the text "null".
        if (v !== null) fields[names[k] ?? k] = typeof v === 'string' ? v : JSON.stringify(v);
      }
    }
    return { line: i + 1, text: JSON.stringify(o) ?? '', fields };
  });
  return evaluateReportRows(rows, now, policy);
}

/** Delist requests: only a valid prefix is needed (withdrawing never needs policy's permission). */
export function parseDelists(prefixes: readonly string[], reason: string | null, now: number): ParsedReport {
  const accepted: QueuedReport[] = [];
  const refused: ReportLineRefusal[] = [];
  prefixes.forEach((text, i) => {
    const parsed = parsePrefix(text.trim());
    if (!parsed.ok) refused.push(refusedLine(i + 1, text, { code: parsed.code, reason: parsed.reason, prefixText: text }));
    else accepted.push({ op: 'delist', prefix: parsed.prefix, firstSeen: now, lastSeen: now, reports: 1, expires: null, category: null, reason });
  });
  return { accepted, refused };
}

/** Each row checked (toReport), in order: accepted, or refused with its line number. */
export function evaluateReportRows(rows: readonly ReportRow[], now: number, policy: Policy): ParsedReport {
  const accepted: QueuedReport[] = [];
  const refused: ReportLineRefusal[] = [];
  for (const row of rows) {
    const result = toReport(row, now, policy);
    if ('code' in result) refused.push(result);
    else accepted.push(result);
  }
  return { accepted, refused };
}

/** One line (plain) or record (CSV) of a report, by column name, before any check. */
export interface ReportRow {
  readonly line: number;
  readonly text: string;
  readonly fields: Readonly<Record<string, string>>;
  /** Why the row is refused whatever its fields say (a line too long to keep). */
  readonly broken?: string;
}
type Row = ReportRow;

function plainRows(text: string): Row[] {
  const splitter = new LineSplitter();
  const rows: Row[] = [];
  for (const line of [...splitter.push(text), ...splitter.end()]) {
    const row = plainRowOf(line);
    if (row) rows.push(row);
  }
  return rows;
}

/** A line of a plain report as a row, or undefined for a blank or comment line. */
export function plainRowOf(l: ReportLine): ReportRow | undefined {
  if (l.overlong) {
    // Only the line's start was kept: a comment is still one, anything else cannot be judged.
    if (l.text.trimStart().startsWith('#')) return undefined;
    return { line: l.line, text: l.text, fields: { prefix: l.text.trim() }, broken: `line is longer than ${MAX_LINE_CHARS} characters` };
  }
  const value = l.text.replace(/#.*$/, '').trim();
  return value === '' ? undefined : { line: l.line, text: value, fields: { prefix: value } };
}

/** How report CSV is read (csv-parse), whole or streamed: a header line, `#` comments, fields trimmed. */
export const CSV_OPTIONS = {
  columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()),
  comment: '#',
  skip_empty_lines: true,
  trim: true,
} as const;

function csvRows(text: string): Row[] {
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parseCsv(text, { ...CSV_OPTIONS, info: true }) as typeof records;
  } catch (err) {
    // A ragged row or an open quote makes the whole file unreadable: the operator's error, not ours.
    throw new SpamxError('BAD_REQUEST', `CSV report is not readable: ${(err as Error).message}`);
  }
  return records.map(({ record, info }) => ({ line: info.lines, text: Object.values(record).join(','), fields: record }));
}

/**
 * A refused line as kept: what a stranger sent is clipped, so a 10 MB line costs a few hundred
 * bytes of refusal row and of answer, not twice its size (its text, and the reason quoting it).
 */
export function refusedLine(line: number, text: string, why: EntryRefusal): ReportLineRefusal {
  const prefixText = why.prefixText === null ? null : clipText(why.prefixText);
  return { line, text: clipText(text), code: why.code, reason: clipReason(why.reason, why.prefixText), prefixText };
}

function toReport(row: Row, now: number, policy: Policy): QueuedReport | ReportLineRefusal {
  const refuse = (why: EntryRefusal): ReportLineRefusal => refusedLine(row.line, row.text, why);
  const f = row.fields;
  if (row.broken !== undefined) return refuse({ code: 'ENTRY_MALFORMED', reason: row.broken, prefixText: f.prefix ?? null });
  const unknown = Object.keys(f).find((k) => !(CSV_COLUMNS as readonly string[]).includes(k));
  if (unknown) return refuse({ code: 'ENTRY_MALFORMED', reason: `unknown column "${unknown}"`, prefixText: f.prefix ?? null });
  const prefixText = f.prefix ?? '';
  const parsed = parsePrefix(prefixText);
  if (!parsed.ok) return refuse({ code: parsed.code, reason: parsed.reason, prefixText });
  const refusal = policyRefusal(parsed.prefix, policy);
  if (refusal) return refuse(refusal);
  const time = (name: string, fallback: number | null): number | null | string => {
    const v = f[name];
    if (v === undefined || v === '') return fallback;
    return parseTimestamp(v) ?? `"${name}" is not an RFC 3339 UTC timestamp: ${v}`;
  };
  const firstSeen = time('first_seen', now);
  const lastSeen = time('last_seen', typeof firstSeen === 'number' ? firstSeen : now);
  const expires = time('expires', null);
  for (const v of [firstSeen, lastSeen, expires]) {
    if (typeof v === 'string') return refuse({ code: 'ENTRY_MALFORMED', reason: v, prefixText });
  }
  const reports = f.reports === undefined || f.reports === '' ? 1 : Number(f.reports);
  if (!Number.isSafeInteger(reports) || reports < 1) {
    return refuse({ code: 'ENTRY_MALFORMED', reason: `"reports" must be a positive integer: ${f.reports}`, prefixText });
  }
  if ((firstSeen as number) > (lastSeen as number)) {
    return refuse({ code: 'ENTRY_MALFORMED', reason: '"first_seen" is after "last_seen"', prefixText });
  }
  return {
    op: 'list',
    prefix: parsed.prefix,
    firstSeen: firstSeen as number,
    lastSeen: lastSeen as number,
    reports,
    expires: expires as number | null,
    category: f.category ? f.category : null,
    reason: null,
  };
}
