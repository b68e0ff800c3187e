import { DATA, dataDir, parse } from '../args.js';
import { withNode } from './open-node.js';

/** `spamx lookup IP`: whether an address is listed, by which prefixes and sources, and why not. */
export async function lookup(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...DATA, json: { type: 'boolean' } }, { min: 1, max: 1 });
  return withNode(dataDir(values.data), async (node) => {
    const r = node.lookup(positionals[0]!);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      return 0;
    }
    const lines = [`${r.address}: ${r.listed ? 'LISTED' : 'not listed'}`];
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
    return 0;
  });
}

