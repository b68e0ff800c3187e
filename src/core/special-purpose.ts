import ipaddr from 'ipaddr.js';
import { parsePrefix, prefixesOverlap, type Prefix } from './prefix.js';

export interface SpecialRange {
  readonly prefix: Prefix;
  /** The range's name in the IANA special-purpose registry (or ipaddr.js's name for it). */
  readonly name: string;
}

/**
 * Ranges ipaddr.js (2.5) does not carry, from the IANA IPv6 special-purpose registry and the
 * IPv6 address-space registry. Everything outside 2000::/3 is "Reserved by IETF" (RFC 4291
 * §2.4 leaves only 2000::/3 as global unicast), so no spam can come from it.
 */
const SUPPLEMENT: readonly [string, string][] = [
  ['100:0:0:1::/64', 'dummyPrefix (RFC 9780)'],
  ['::/3', 'notGlobalUnicast'],
  ['4000::/2', 'notGlobalUnicast'],
  ['8000::/1', 'notGlobalUnicast'],
];

function loadRanges(): SpecialRange[] {
  const out: SpecialRange[] = [];
  const add = (text: string, name: string): void => {
    const parsed = parsePrefix(text);
    if (!parsed.ok) throw new Error(`bad special-purpose range ${text}: ${parsed.reason}`);
    out.push({ prefix: parsed.prefix, name });
  };
  // ipaddr.js keeps the IANA IPv4/IPv6 special-purpose registries (plus multicast) as
  // `SpecialRanges`: name → [address, length] or a list of those.
  type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];
  type Table = { SpecialRanges: Record<string, Range | Range[]> };
  const tables = [ipaddr.IPv4.prototype, ipaddr.IPv6.prototype] as unknown as Table[];
  for (const { SpecialRanges } of tables) {
    for (const [name, value] of Object.entries(SpecialRanges)) {
      if (name === 'ipv4Mapped') continue; // mapped addresses are parsed as IPv4 instead
      const ranges = (Array.isArray(value[0]) ? value : [value]) as Range[];
      for (const [address, length] of ranges) {
        const text = address.kind() === 'ipv6' ? (address as ipaddr.IPv6).toRFC5952String() : address.toString();
        add(`${text}/${length}`, name);
      }
    }
  }
  for (const [text, name] of SUPPLEMENT) add(text, name);
  return out;
}

const V4_RANGES: SpecialRange[] = [];
const V6_RANGES: SpecialRange[] = [];
for (const r of loadRanges()) (r.prefix.family === 4 ? V4_RANGES : V6_RANGES).push(r);

/** The first special-purpose range the prefix overlaps, if any (inside it or containing it). */
export function specialPurposeRange(p: Prefix): SpecialRange | undefined {
  const table = p.family === 4 ? V4_RANGES : V6_RANGES;
  for (const r of table) if (prefixesOverlap(r.prefix, p)) return r;
  return undefined;
}
