/**
 * SOA serials (RFC 1982 serial number arithmetic, SERIAL_BITS = 32). The DNSBL's serial is the
 * change log position (`changes.id`), which may outgrow 32 bits: the SOA carries its low 32 bits,
 * and a serial a secondary sends back is mapped to the log position it stands for, counting
 * back from the current one (a serial can only name a position at most 2^31 - 1 behind).
 */

const HALF = 2 ** 31;
const WRAP = 2 ** 32;

/** The SOA serial of a change log position. */
export function serialOf(position: number): number {
  return position % WRAP >>> 0;
}

/** RFC 1982 §3.2: -1, 0 or 1 as `a` is less than, equal to or greater than `b`; undefined when undefined (exactly 2^31 apart). */
export function compareSerials(a: number, b: number): -1 | 0 | 1 | undefined {
  const x = a >>> 0;
  const y = b >>> 0;
  if (x === y) return 0;
  if ((x < y && y - x < HALF) || (x > y && x - y > HALF)) return -1;
  if ((x < y && y - x > HALF) || (x > y && x - y < HALF)) return 1;
  return undefined;
}

/**
 * The change log position a secondary's serial stands for, given the current position, or
 * undefined when the serial is not behind (or equal to) the current one by RFC 1982's rule: a
 * serial "ahead" of ours came from another store or an older copy of this one.
 */
export function positionOfSerial(serial: number, current: number): number | undefined {
  const order = compareSerials(serial, serialOf(current));
  if (order === undefined || order === 1) return undefined;
  const behind = (serialOf(current) - (serial >>> 0) + WRAP) % WRAP;
  const position = current - behind;
  return position < 0 ? undefined : position;
}
