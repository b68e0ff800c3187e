import { formatTimestamp } from '../../core/time.js';
import { familySections } from './family-sections.js';
import type { BlocklistFormat } from './format.js';
import { lineChunks } from './line-chunks.js';

/**
 * ipset refuses `create -exist` of a set that exists with another maxelem, so a maxelem that
 * followed the list's size would break the next reload whenever the size moved. maxelem is only
 * a cap (memory follows the entries), so it stays at this value unless a list outgrows it.
 */
const MAXELEM_FLOOR = 2 ** 24;

/**
 * `ipset restore` input: sets `spamx4` (hash:net, family inet) and `spamx6` (family inet6), or
 * the one `family=` chose. Each is filled as `spamxN-next` and swapped in at the end, so a reload
 * replaces the whole list at once (delisted prefixes leave), rules naming the set keep working,
 * and a load cut short leaves the previous list in force. `-exist` on the creates makes loading
 * the file again succeed.
 */
export const ipset: BlocklistFormat = {
  name: 'ipset',
  contentType: 'text/plain; charset=utf-8',
  prefixOnly: true,
  *render(rows, meta) {
    yield `# spamx blocklist from ${meta.node} as ipset restore input, as of ${formatTimestamp(meta.asOf)}\n`;
    yield `# ${meta.count} prefixes${meta.aggregated ? ', aggregated into the minimal CIDR cover' : ''}; sources: ${meta.sources.join(' ')}\n`;
    yield '# load with: ipset restore < FILE; match with e.g. iptables -I INPUT -m set --match-set spamx4 src -j DROP\n';
    const maxelem = Math.max(MAXELEM_FLOOR, nextPowerOfTwo(meta.count));
    // hashsize is only the starting table (ipset grows it, and -exist ignores it): near count/8
    // (buckets hold up to 12 entries) spares most resizes while loading.
    const hashsize = Math.min(2 ** 22, Math.max(1024, nextPowerOfTwo(Math.ceil(meta.count / 8))));
    for (const { family, rows: section } of familySections(rows, meta)) {
      const set = `spamx${family}`;
      const next = `${set}-next`;
      const params = `hash:net family ${family === 4 ? 'inet' : 'inet6'} hashsize ${hashsize} maxelem ${maxelem}`;
      yield `create ${set} ${params} -exist\ncreate ${next} ${params} -exist\nflush ${next}\n`;
      yield* lineChunks(section, (row) => addLine(next, row.prefix));
      yield `swap ${next} ${set}\ndestroy ${next}\n`;
    }
  },
};

/** hash:net takes prefix lengths from 1 (ipset(8)), so a /0 goes in as its two halves. */
function addLine(set: string, prefix: string): string {
  if (prefix === '0.0.0.0/0') return `add ${set} 0.0.0.0/1\nadd ${set} 128.0.0.0/1`;
  if (prefix === '::/0') return `add ${set} ::/1\nadd ${set} 8000::/1`;
  return `add ${set} ${prefix}`;
}

function nextPowerOfTwo(n: number): number {
  return n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n));
}
