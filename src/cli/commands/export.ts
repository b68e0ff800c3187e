import { once } from 'node:events';
import { carveAllowlisted } from '../../core/blocklist.js';
import { mergedRows } from '../../store/merged-query.js';
import { BLOCKLIST_FORMATS, jsonDocument, txtLines, type BlocklistFormat } from '../../serve/blocklist-formats.js';
import { DATA, dataDir, intOption, parse, UsageError } from '../args.js';
import { withNode } from './open-node.js';

/** `spamx export`: the merged blocklist on stdout, in the same formats as GET /v1/blocklist. */
export async function exportCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    { ...DATA, format: { type: 'string' }, family: { type: 'string' }, 'min-sources': { type: 'string' } },
    { min: 0, max: 0 },
  );
  const format = (values.format ?? 'txt') as BlocklistFormat;
  if (!BLOCKLIST_FORMATS.includes(format)) throw new UsageError(`--format must be one of ${BLOCKLIST_FORMATS.join(', ')}`);
  const family = intOption(values.family, '--family', 4, 6);
  if (family === 5) throw new UsageError('--family must be 4 or 6');
  return withNode(dataDir(values.data), async (node) => {
    const now = node.clock();
    const rows = carveAllowlisted(
      mergedRows(node.store, now, { family: family as 4 | 6 | undefined, minSources: intOption(values['min-sources'], '--min-sources', 1, 1000) }),
      node.policy().allowlist,
    );
    const meta = { node: node.config.id, generatedAt: now };
    let buffer = '';
    for (const chunk of format === 'json' ? jsonDocument(rows, meta) : txtLines(rows, meta)) {
      buffer += chunk;
      if (buffer.length > 65_536) {
        if (!process.stdout.write(buffer)) await once(process.stdout, 'drain');
        buffer = '';
      }
    }
    process.stdout.write(buffer);
    return 0;
  });
}

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
    if (r.allowlisted) lines.push(`  allowlisted by ${r.allowlisted}`);
    if (r.specialPurpose) lines.push(`  special-purpose address space ${r.specialPurpose}`);
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
