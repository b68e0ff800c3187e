import { formatTimestamp } from '../../core/time.js';
import type { BlocklistFormat } from './format.js';
import { lineChunks } from './line-chunks.js';

/**
 * A Postfix cidr_table(5): `prefix REJECT reason` lines, for `check_client_access
 * cidr:/etc/postfix/spamx.cidr`. The table is read as text (no postmap step). The reason is what
 * the SMTP client is told: who listed it and where to look it up. Our public lookup page takes an
 * address, so the URL names the prefix's first one (a cidr table cannot insert the client's).
 * Aggregated rows name no sources of their own and name the list's.
 */
export const postfix: BlocklistFormat = {
  name: 'postfix',
  contentType: 'text/plain; charset=utf-8',
  *render(rows, meta) {
    yield `# spamx blocklist from ${meta.node} as a Postfix cidr table, as of ${formatTimestamp(meta.asOf)}\n`;
    yield `# ${meta.count} prefixes${meta.aggregated ? ', aggregated into the minimal CIDR cover' : ''}; sources: ${meta.sources.join(' ')}\n`;
    yield '# use with: smtpd_client_restrictions = ..., check_client_access cidr:/etc/postfix/spamx.cidr\n';
    const listSources = meta.sources.join(', ');
    yield* lineChunks(rows, (row) => {
      const sources = row.sources === undefined ? listSources : row.sources.replaceAll(' ', ', ');
      const address = row.prefix.slice(0, row.prefix.indexOf('/'));
      return `${row.prefix} REJECT listed by spamx at ${meta.node}${sources ? ` from ${sources}` : ''}; see ${meta.lookupUrl}${address}`;
    });
  },
};
