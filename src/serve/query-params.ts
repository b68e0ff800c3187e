import { SpamxError } from '../core/errors.js';
import { parseTimestamp } from '../core/time.js';

/** Reads an integer query parameter within bounds, or fails with BAD_REQUEST naming it. */
export function intParam(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d{1,15}$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new SpamxError('BAD_REQUEST', `query parameter "${name}" must be an integer from ${min} to ${max}`);
  }
  return Number(value);
}

/**
 * The values of a repeatable, comma-separated parameter (`source=a,b&source=c`), empty ones
 * dropped, or BAD_REQUEST naming it and its cap as soon as it holds more than `max`: each value
 * is a condition every row of a filtered read is tested against, and the split stops there.
 */
export function listParam(values: readonly string[], name: string, max: number): string[] {
  const out: string[] = [];
  for (const value of values) {
    let from = 0;
    while (from <= value.length) {
      const comma = value.indexOf(',', from);
      const end = comma < 0 ? value.length : comma;
      if (end > from) {
        if (out.length === max) throw new SpamxError('BAD_REQUEST', `query parameter "${name}" may name at most ${max} values`);
        out.push(value.slice(from, end));
      }
      from = end + 1;
    }
  }
  return out;
}

/** `since`: an RFC 3339 UTC time or epoch seconds, as milliseconds; BAD_REQUEST otherwise. */
export function sinceParam(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const since = /^\d{1,12}$/.test(text) ? Number(text) * 1000 : parseTimestamp(text);
  if (since === undefined) throw new SpamxError('BAD_REQUEST', 'since must be an RFC 3339 UTC time or epoch seconds');
  return since;
}
