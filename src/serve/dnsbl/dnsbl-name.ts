/**
 * What a query name asks a DNSBL zone (RFC 5782 §2), decided from the name alone:
 * - `apex`: the zone itself (SOA, NS);
 * - `v4`: `d.c.b.a.<zone>`, an IPv4 address with its octets reversed (§2.1);
 * - `v6`: 32 reversed hex nibbles, an IPv6 address (§2.4), given as its nibbles in order;
 * - `ancestor`: fewer labels of either form, the name of an empty non-terminal above listed
 *   addresses (answered NODATA rather than NXDOMAIN, since a resolver using QNAME minimisation
 *   (RFC 9156) reads NXDOMAIN as "nothing below", RFC 8020);
 * - `none`: anything else in the zone (no such name);
 * - `outside`: not in the zone (refused: this server is authoritative for nothing else).
 */
export type QueryName =
  | { readonly kind: 'apex' }
  | { readonly kind: 'v4'; readonly address: number }
  | { readonly kind: 'v6'; readonly nibbles: string }
  | { readonly kind: 'ancestor' }
  | { readonly kind: 'none' }
  | { readonly kind: 'outside' };

const APEX: QueryName = { kind: 'apex' };
const ANCESTOR: QueryName = { kind: 'ancestor' };
const NONE: QueryName = { kind: 'none' };
const OUTSIDE: QueryName = { kind: 'outside' };

/**
 * `zone` is lower case without a trailing dot. Names compare case-insensitively (RFC 4343 §3);
 * dns-packet gives names without the trailing dot.
 */
export function parseQueryName(name: string, zone: string): QueryName {
  const lower = name.toLowerCase();
  const bare = lower.endsWith('.') ? lower.slice(0, -1) : lower;
  if (bare === zone) return APEX;
  if (bare.length <= zone.length + 1 || !bare.endsWith(zone) || bare.charCodeAt(bare.length - zone.length - 1) !== 0x2e) return OUTSIDE;
  const labels = bare.slice(0, bare.length - zone.length - 1).split('.');
  if (labels.length <= 4) {
    const v4 = reversedOctets(labels);
    if (v4 !== undefined) return labels.length === 4 ? { kind: 'v4', address: v4 } : ANCESTOR;
  }
  if (labels.length <= 32) {
    const nibbles = reversedNibbles(labels);
    if (nibbles !== undefined) return labels.length === 32 ? { kind: 'v6', nibbles } : ANCESTOR;
  }
  return NONE;
}

/** `d.c.b.a` → a.b.c.d as an unsigned number; decimal octets without leading zeros only. */
function reversedOctets(labels: readonly string[]): number | undefined {
  let address = 0;
  for (let i = labels.length - 1; i >= 0; i--) {
    const label = labels[i]!;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(label)) return undefined;
    const octet = Number(label);
    if (octet > 255) return undefined;
    address = address * 256 + octet;
  }
  return address;
}

/** One hex digit per label, least significant first (RFC 3596 §2.5 order). */
function reversedNibbles(labels: readonly string[]): string | undefined {
  let nibbles = '';
  for (let i = labels.length - 1; i >= 0; i--) {
    const label = labels[i]!;
    if (label.length !== 1 || !/[0-9a-f]/.test(label)) return undefined;
    nibbles += label;
  }
  return nibbles;
}

/** `::ffff:a.b.c.d` (RFC 4291 §2.5.5.2) names the IPv4 host a.b.c.d (PROTOCOL "Identifiers"). */
export function mappedV4(nibbles: string): number | undefined {
  if (!nibbles.startsWith('00000000000000000000ffff')) return undefined;
  return parseInt(nibbles.slice(24), 16);
}
