/** RFC 3339 §5.6 date-time restricted to UTC with `Z`, as PROTOCOL "Batch" requires. */
const RFC3339_UTC = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?Z$/;

/** Milliseconds since the epoch, or undefined when `text` is not an RFC 3339 UTC timestamp. */
export function parseTimestamp(text: unknown): number | undefined {
  if (typeof text !== 'string' || !RFC3339_UTC.test(text)) return undefined;
  const ms = Date.parse(text);
  // Date.parse rolls 2026-02-31 over to 2026-03-03; RFC 3339 §5.7 makes such a day invalid.
  if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 10) !== text.slice(0, 10)) return undefined;
  return ms;
}

/** RFC 3339 UTC with second precision unless the value has milliseconds. */
export function formatTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

export const DAY_MS = 86_400_000;
