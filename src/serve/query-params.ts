import { SpamxError } from '../core/errors.js';

/** Reads an integer query parameter within bounds, or fails with BAD_REQUEST naming it. */
export function intParam(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d{1,15}$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new SpamxError('BAD_REQUEST', `query parameter "${name}" must be an integer from ${min} to ${max}`);
  }
  return Number(value);
}
