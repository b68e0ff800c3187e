import { formatTimestamp } from '../../core/time.js';

/** An RFC 3339 UTC time, or a dash for none. */
export function time(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '–' : formatTimestamp(ms);
}

export function int(n: number): string {
  return n.toLocaleString('en-US');
}

export function percent(share: number): string {
  return `${(share * 100).toFixed(1)} %`;
}

/** A duration for people: "45 s", "12 min", "3 h 20 min", "4 d 2 h". */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ${min % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}
