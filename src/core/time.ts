/** RFC 3339 §5.6 date-time restricted to UTC with `Z`, as PROTOCOL "Batch" requires. */
const RFC3339_UTC = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?Z$/;

const recent = new Map<string, number>();
const SLOTS = 4;
/** Valid timestamps only, so a hit is always right; they start as the epoch. */
const slotTexts: string[] = new Array<string>(SLOTS).fill('1970-01-01T00:00:00Z');
const slotValues: number[] = new Array<number>(SLOTS).fill(0);
let nextSlot = 0;

/**
 * Milliseconds since the epoch, or undefined when `text` is not an RFC 3339 UTC timestamp.
 * A batch repeats a few timestamps many times (every entry of one report run shares them), so
 * recent answers are remembered; the pull benchmark showed Date.parse costing as much as the
 * SQLite upsert of the entry.
 */
export function parseTimestamp(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  // The last few answers first, compared by content: each entry's strings are fresh from
  // JSON.parse, and a Map lookup hashes every one of them (three per entry), where comparing
  // with the same text in a slot stops at its end and with another text at the first
  // difference. EntryEvaluator on a 100,000-entry batch: 16 ms instead of 25.
  for (let k = 0; k < SLOTS; k++) if (slotTexts[k] === text) return slotValues[k];
  let value = recent.get(text);
  if (value === undefined) {
    value = parseUtc(text);
    if (value === undefined) return undefined;
    if (recent.size >= 4096) recent.clear();
    recent.set(text, value);
  }
  slotTexts[nextSlot] = text;
  slotValues[nextSlot] = value;
  nextSlot = (nextSlot + 1) % SLOTS;
  return value;
}

const DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];

/** `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, digit by digit. */
function parseUtc(t: string): number | undefined {
  if (t.length < 20 || !RFC3339_UTC.test(t)) return undefined;
  for (const i of DIGITS) {
    const c = t.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  const n = (i: number) => (t.charCodeAt(i) - 48) * 10 + t.charCodeAt(i + 1) - 48;
  const [month, day, hour, minute, second] = [n(5), n(8), n(11), n(14), n(17)];
  const year = n(0) * 100 + n(2);
  // Date.UTC reads years 0-99 as 1900-1999, and a leap second is for Date.parse to judge.
  if (second === 60 || year < 100) return parseWithDate(t);
  const fraction = t.length > 20 ? Number(`0${t.slice(19, -1)}`) : 0;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second) + Math.floor(fraction * 1000);
  // Date.UTC rolls 2026-02-31 over to 2026-03-03; RFC 3339 §5.7 makes such a day invalid.
  return new Date(ms).getUTCDate() === day ? ms : undefined;
}

function parseWithDate(text: string): number | undefined {
  const ms = Date.parse(text);
  if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 10) !== text.slice(0, 10)) return undefined;
  return ms;
}

const formatted = new Map<number, string>();

/**
 * RFC 3339 UTC with second precision unless the value has milliseconds. Lookups and exports
 * format the same few timestamps (a batch's entries share them) over and over; the lookup
 * profile had Date#toISOString at a quarter of the time, so recent answers are remembered.
 */
export function formatTimestamp(ms: number): string {
  const known = formatted.get(ms);
  if (known !== undefined) return known;
  const iso = new Date(ms).toISOString();
  const text = iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
  if (formatted.size >= 4096) formatted.clear();
  formatted.set(ms, text);
  return text;
}

export const DAY_MS = 86_400_000;
