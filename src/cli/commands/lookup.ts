import { isSpamxError } from '../../core/errors.js';
import { printable } from '../../core/printable.js';
import { dataDir, UsageError, type DataOptions, type JsonOptions } from '../args.js';
import { withNode } from './open-node.js';

/**
 * `spamx lookup IP`: whether an address is listed, by which prefixes and sources, and why not.
 * Exits 0 when it is listed and 1 when it is not, so scripts can test it (`if spamx lookup IP`);
 * a failed lookup exits 3 (src/cli/node-commands.ts), usage errors 2.
 */
export async function lookup(ip: string, o: DataOptions & JsonOptions): Promise<number> {
  return withNode(dataDir(o.data), async (node) => {
    let r;
    try {
      r = node.lookup(ip);
    } catch (err) {
      // Not an IP address: a bad argument (2), not a failed lookup (3).
      if (isSpamxError(err, 'BAD_REQUEST')) throw new UsageError(err.message);
      throw err;
    }
    const code = r.listed ? 0 : 1;
    if (o.json) {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      return code;
    }
    const o2 = r.origin;
    const lines = [
      `${r.address}: ${r.listed ? 'LISTED' : 'not listed'}`,
      `  registered in ${o2.country ?? 'unknown country'}${o2.asn === null ? '' : `, AS${o2.asn}${o2.asName ? ` ${printable(o2.asName)}` : ''}`}${o2.registry ? ` (${o2.registry})` : ''}`,
    ];
    for (const e of r.listedBy) lines.push(`  listed as ${e.prefix} by ${e.sources.join(', ')} until ${e.expires}`);
    for (const why of r.notListedBecause) lines.push(`  not listed: ${why}`);
    for (const m of r.matches) {
      lines.push(`  ${m.prefix}`);
      for (const s of m.sources) {
        lines.push(
          `    ${s.publisher}: ${s.state}` +
            (s.state === 'delisted' ? `${s.reason ? ` (${s.reason})` : ''}` : `, reports ${s.reports}, first ${s.firstSeen}, last ${s.lastSeen}, expires ${s.expires}`) +
            `; batch seq ${s.batch.seq} ${s.batch.leafHash ?? ''}`,
        );
      }
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    return code;
  });
}

