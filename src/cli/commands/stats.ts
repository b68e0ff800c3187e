import { computeStats, STATS_BY, type StatsBy } from '../../read/origin-stats.js';
import { dataDir, sinceOption, UsageError, type DataOptions, type JsonOptions } from '../args.js';
import { withNode } from './open-node.js';

/** `spamx stats`: the served list counted by country, AS, source centre or month (GET /v1/stats). */
export async function statsCommand(o: DataOptions & JsonOptions & { by?: string; source?: string[]; country?: string[]; since?: string }): Promise<number> {
  const by = o.by ?? 'country';
  if (!(STATS_BY as readonly string[]).includes(by)) throw new UsageError(`--by must be one of ${STATS_BY.join(', ')}`);
  const since = sinceOption(o.since);
  const countries = (o.country ?? []).map((cc) => {
    if (!/^[A-Za-z]{2}$/.test(cc)) throw new UsageError(`--country ${cc}: not an ISO 3166-1 alpha-2 code`);
    return cc.toUpperCase();
  });
  return withNode(dataDir(o.data), async (node) => {
    node.project();
    const answer = computeStats(node.store, node.ctx.origins.current(), { by: by as StatsBy, sources: o.source, countries, since }, node.clock());
    if (o.json) {
      process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
      return 0;
    }
    const lines = [`# by ${answer.by} as of ${answer.asOf}; origin data ${answer.dataset.id}`, `${by}\tpieces\taddresses\treports`];
    for (const r of answer.rows) lines.push(`${r.key}\t${r.pieces}\t${r.addresses}\t${r.reports}`);
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  });
}
