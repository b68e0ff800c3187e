import { formatTimestamp } from '../../core/time.js';
import { familySections } from './family-sections.js';
import { hostOrPrefix, type BlocklistFormat } from './format.js';
import { lineChunks } from './line-chunks.js';

/**
 * rbldnsd allows this much clock skew: it refuses a file whose `$TIMESTAMP` lies in its future
 * and then stops serving the zone (rbldnsd(8) "$TIMESTAMP"), so a subscriber whose clock runs a
 * little behind ours must not lose its DNSBL because the list changed a second ago.
 */
const SKEW_ALLOWANCE_MS = 10 * 60_000;
const DEFAULT_TTL = 300;

/**
 * An rbldnsd(8) data file. One file holds one dataset type, so it holds one family: `ip4set`
 * (IPv4 addresses and CIDR ranges) unless `family=6` asks for `ip6trie`. (`ip6tset` would be
 * smaller but holds only /64s; listed IPv6 pieces are any length from /32 to /128.) Every entry
 * shares the default `:127.0.0.2:` line, whose TXT template links to our lookup, where rbldnsd
 * puts the queried address for `$`. The RFC 5782 §5 test point is included, so a zone served
 * from this file passes the same checks as spamx's own DNSBL.
 */
export const rbldnsd: BlocklistFormat = {
  name: 'rbldnsd',
  contentType: 'text/plain; charset=utf-8',
  prefixOnly: true,
  *render(rows, meta) {
    const family = meta.family ?? 4;
    const dataset = family === 6 ? 'ip6trie' : 'ip4set';
    yield `# spamx blocklist from ${meta.node} as rbldnsd ${dataset} data, as of ${formatTimestamp(meta.asOf)}\n`;
    yield `# sources: ${meta.sources.join(' ')}\n`;
    yield `# serve with: rbldnsd -b ADDRESS/PORT ZONE:${dataset}:FILE\n`;
    if (family === 4) yield '# IPv6 listings are in format=rbldnsd&family=6 (dataset ip6trie)\n';
    yield `$TTL ${meta.dnsblTtl ?? DEFAULT_TTL}\n`;
    // The time the list last changed, less the skew allowance; 0 means "not given".
    yield `$TIMESTAMP ${meta.asOf > 0 ? rbldnsdTime(Math.max(0, meta.asOf - SKEW_ALLOWANCE_MS)) : '0'}\n`;
    yield `:127.0.0.2:Listed by spamx, see ${meta.lookupUrl}$\n`;
    yield `# RFC 5782 section 5 test point: always listed\n${family === 6 ? '::ffff:7f00:2' : '127.0.0.2'}\n`;
    for (const section of familySections(rows, meta)) {
      if (section.family !== family) continue;
      yield* lineChunks(section.rows, (row) => hostOrPrefix(row.prefix));
      return; // IPv4 comes first: an IPv4 file need not read the IPv6 rows
    }
  },
};

/** rbldnsd's `yyyy:mm:dd:hh:mi:ss`, read as UTC. */
function rbldnsdTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 4)}:${iso.slice(5, 7)}:${iso.slice(8, 10)}:${iso.slice(11, 13)}:${iso.slice(14, 16)}:${iso.slice(17, 19)}`;
}
