import { formatTimestamp } from '../../core/time.js';
import { familySections } from './family-sections.js';
import type { BlocklistFormat } from './format.js';

const ELEMENTS_PER_CHUNK = 1024;

/**
 * An `nft -f` file: interval sets `spamx4` (ipv4_addr) and `spamx6` (ipv6_addr), or the one
 * `family=` chose, in `table inet spamx`. nft refuses overlapping elements in an interval set
 * ("conflicting intervals specified"), so this format is always the minimal CIDR cover, whatever
 * `aggregate` says. The file first declares the sets (creating them on the first load), flushes
 * them, then declares them again with their elements; `nft -f` applies a file as one
 * transaction, so a reload swaps the whole list at once and leaves anything else the subscriber
 * keeps in the table (its chains) alone. All elements go in one `elements = { … }` clause
 * (streamed, comma-separated): nft loads that about six times faster than the same elements in
 * 1,024-element `add element` commands. A set with no elements has no clause: `{ }` is a
 * syntax error.
 */
export const nftables: BlocklistFormat = {
  name: 'nftables',
  contentType: 'text/plain; charset=utf-8',
  prefixOnly: true,
  alwaysAggregate: true,
  *render(rows, meta) {
    yield `# spamx blocklist from ${meta.node} as nftables sets, as of ${formatTimestamp(meta.asOf)}\n`;
    yield `# ${meta.count} prefixes as their minimal CIDR cover (interval sets refuse overlaps); sources: ${meta.sources.join(' ')}\n`;
    yield '# load with: nft -f FILE; match with e.g. a chain in this table: ip saddr @spamx4 drop\n';
    const families: (4 | 6)[] = meta.family === undefined ? [4, 6] : [meta.family];
    const declare = (family: 4 | 6) => `\tset spamx${family} {\n\t\ttype ipv${family}_addr\n\t\tflags interval\n`;
    yield `table inet spamx {\n${families.map((f) => `${declare(f)}\t}\n`).join('')}}\n`;
    yield families.map((f) => `flush set inet spamx spamx${f}\n`).join('');
    yield 'table inet spamx {\n';
    for (const { family, rows: section } of familySections(rows, meta)) {
      yield declare(family);
      let elements: string[] = [];
      let written = 0;
      // The clause opens before the first chunk; later chunks continue the comma-separated list.
      const chunk = () => {
        const text = `${written === 0 ? '\t\telements = {\n' : ',\n'}\t\t\t${elements.join(',\n\t\t\t')}`;
        written += elements.length;
        elements = [];
        return text;
      };
      for (const row of section) {
        elements.push(row.prefix);
        if (elements.length === ELEMENTS_PER_CHUNK) yield chunk();
      }
      if (elements.length > 0) yield chunk();
      if (written > 0) yield '\n\t\t}\n';
      yield '\t}\n';
    }
    yield '}\n';
  },
};
