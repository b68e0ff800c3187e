import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { SpamxError } from '../../core/errors.js';
import { parseReportMonth } from '../../core/report-month.js';
import { computeStats } from '../../read/origin-stats.js';
import { monthlyData, monthlyReportHtml, type MonthlyData } from '../../serve/monthly/monthly-report.js';
import { dataDir, UsageError, type DataOptions, type JsonOptions } from '../args.js';
import { withNode } from './open-node.js';

/** `spamx monthly --month YYYY-MM [--html FILE|-] [--json]`: the month's report (src/serve/monthly/). */
export async function monthlyCommand(o: DataOptions & JsonOptions & { month?: string; html?: string }): Promise<number> {
  if (o.month === undefined) throw new UsageError('--month YYYY-MM is required (e.g. --month 2026-11)');
  if (o.html === '-' && o.json) throw new UsageError('--html - and --json both write to standard output: give --html a FILE');
  checkMonth(o.month, Date.now());
  const dir = dataDir(o.data);
  return withNode(dir, async (node) => {
    // The counters and the served list follow applied batches once projected.
    node.project();
    const data = await monthlyData({
      store: node.store,
      centre: node.config,
      publicUrl: node.url,
      origins: node.ctx.origins.current(),
      stats: (table, q, now) => computeStats(node.store, table, q, now),
      month: o.month!,
      now: node.clock(),
    });
    if (o.html !== undefined) writeReport(o.html, monthlyReportHtml(data));
    if (o.json) process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    else if (o.html !== '-') process.stdout.write(o.html === undefined ? summary(data) : `wrote ${o.html}: ${data.centre.id} ${data.month}, ${data.totals.started} listing(s) started\n`);
    return 0;
  });
}

/** A malformed or future month is a usage error (exit 2), told before the node is opened. */
function checkMonth(month: string, now: number): void {
  try {
    parseReportMonth(month, now);
  } catch (err) {
    if (err instanceof SpamxError) throw new UsageError(`--month: ${err.message}`);
    throw err;
  }
}

/** Written beside the target and renamed over it: a reader never sees half a report. */
function writeReport(path: string, text: string): void {
  if (path === '-') {
    process.stdout.write(text);
    return;
  }
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temp, text);
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

/** Neither --html nor --json: the month's totals as text. */
function summary(d: MonthlyData): string {
  const t = d.totals;
  const lines = [
    `# ${d.centre.id} ${d.month}, ${d.period.from} to ${d.period.to}${d.period.complete ? '' : ' (so far)'}; generated ${d.generatedAt}`,
    `started\t${t.started}`,
    `ended\t${t.ended}`,
    `refused\t${t.refused}`,
    `listed at start\t${t.listedAtStart}`,
    `listed at end\t${t.listedAtEnd}`,
    ...d.sources.map((s) => `source ${s.source}\t${s.started} started\t${s.ended} ended`),
    ...(d.origin.ownCountry ? [`own country ${d.origin.ownCountry.country}\t${d.origin.ownCountry.pieces} of ${d.origin.pieces}`] : []),
    '(--html FILE for the report, --json for every figure)',
  ];
  return `${lines.join('\n')}\n`;
}
