import { parsePrefix } from './prefix.js';

/**
 * A client address as per-client limits count it: an IPv4 address itself, an IPv6 address its
 * /64 (one customer's allocation, where any number of addresses are free to the holder).
 */
export function clientNetwork(address: string): string {
  if (!address.includes(':')) return address;
  const parsed = parsePrefix(address);
  if (!parsed.ok) return address;
  // An IPv4-mapped address is its IPv4 address (prefix.ts); an IPv6 one its first 64 bits.
  return parsed.prefix.family === 4 ? parsed.prefix.text : `${(BigInt(parsed.prefix.start) >> 64n).toString(16)}::/64`;
}
