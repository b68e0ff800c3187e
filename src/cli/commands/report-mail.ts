import { pino } from 'pino';
import { loadConfig } from '../../config/config.js';
import { NodeFiles } from '../../config/node-files-watcher.js';
import { loadOriginTable } from '../../config/origin-files.js';
import { logOptions } from '../../config/log-options.js';
import { readEnv } from '../../config/env.js';
import { SpamxError } from '../../core/errors.js';
import { TrustedRelays } from '../../core/mail-origin.js';
import type { OriginTable } from '../../core/origin-table.js';
import { printable } from '../../core/printable.js';
import { parseReportObjects, type ParsedReport } from '../../core/report.js';
import { parseTlp, tlpRank } from '../../core/tlp.js';
import { recipientsColumn } from '../../core/sealed-payload.js';
import { reportMail, type MailReportObject, type MailRunSummary } from '../../ingest/mail-reports.js';
import { mailInputs } from '../../ingest/mail-sources.js';
import { dataDir, UsageError, type DataOptions } from '../args.js';
import { collectGarbage } from '../collect-garbage.js';
import { withProgress } from '../progress.js';
import { withLocalReports } from './open-reports.js';

export interface ReportOptions extends DataOptions {
  readonly mail?: string[] | undefined;
  readonly dryRun?: boolean | undefined;
  readonly json?: boolean | undefined;
  readonly quiet?: boolean | undefined;
  readonly tlp?: string | undefined;
  /** `--to`: sealed to these pinned partners. */
  readonly to?: readonly string[] | undefined;
}

/** `spamx report FILE` or `spamx report --mail PATH…`: the one `report` command's two inputs. */
export async function reportCommand(file: string | undefined, o: ReportOptions): Promise<number> {
  if (o.mail === undefined) {
    if (file === undefined) throw new UsageError('give a report FILE (or - for stdin), or --mail PATH…');
    if (o.dryRun || o.json) throw new UsageError('--dry-run and --json go with --mail');
    return (await import('./queue.js')).report(file, o);
  }
  if (file !== undefined) throw new UsageError(`--mail takes the paths; a report FILE (${file}) goes without it`);
  return reportMailCommand(o.mail, o);
}

/**
 * `spamx report --mail PATH…`: spam samples (.eml, mbox, Maildir) and abuse feedback (ARF,
 * X-ARF) in, their origins out: each message's origin hop (core/mail-origin.ts) queued as a
 * report line under local policy, or with `--dry-run` only printed (as report CSV, which
 * `spamx report FILE` takes). The summary: messages, origins, refusals by code, by country.
 */
export async function reportMailCommand(paths: string[], o: ReportOptions): Promise<number> {
  const tlpLabel = o.tlp === undefined ? undefined : { tlp: tlpRank(parseTlp(o.tlp, '--tlp')) };
  const recipients = recipientsColumn(o.to ?? []); // `--to`: sealed to these partners
  const label = recipients === null ? tlpLabel : { ...tlpLabel, recipients };
  const data = dataDir(o.data);
  const config = loadConfig(data);
  mailInputs(paths); // every path checked before anything is queued
  const trusted = new TrustedRelays(config.mail.trustedRelays);
  const origins = originData(config);
  const countryOf = (address: string): string | null => (origins ? origins.originOf(address).country : null);
  const json = o.json === true;
  const out = (text: string): void => void process.stdout.write(text);

  const run = (queue: (objects: MailReportObject[]) => ParsedReport): Promise<MailRunSummary> =>
    withProgress('report --mail', { unit: 'messages', quiet: o.quiet || json }, async (progress) => {
      let last = 0;
      const summary = await reportMail(paths, {
        trusted,
        clock: Date.now,
        countryOf,
        queue: (objects) => {
          const parsed = queue(objects);
          collectGarbage(); // the group just queued is garbage (collect-garbage.ts says why)
          return parsed;
        },
        refused: json ? undefined : (source, code, reason) => progress.note(`${printable(source)}: ${code}: ${printable(reason)}\n`),
        brokenSeparator: json ? undefined : (source, why) => progress.note(`${printable(source)}: broken mbox separator: ${why}\n`),
        progress: (p) => {
          if (p.messages - last >= 256) {
            last = p.messages;
            progress.update(p.messages);
          }
        },
        queuedGroup: o.dryRun && !json ? (objects, parsed) => printDryRun(objects, parsed, out) : undefined,
      });
      progress.update(summary.messages);
      return summary;
    });

  let summary: MailRunSummary;
  if (o.dryRun) {
    const log = pino(logOptions(readEnv().logLevel ?? 'warn', { node: config.id }), pino.destination(2));
    const files = new NodeFiles(config, log, { allowlistChanged: () => {}, peersChanged: () => {} });
    if (!json) out('prefix,first_seen,last_seen,reports\n');
    summary = await run((objects) => parseReportObjects(objects, Date.now(), files.policy()));
  } else {
    summary = await withLocalReports(data, (reports) => run((objects) => reports.reportObjects(objects, label)));
  }
  if (json) out(`${JSON.stringify({ dryRun: o.dryRun === true, ...summary }, null, 2)}\n`);
  else out(summaryText(summary, o.dryRun === true));
  if (summary.messages > 0 && summary.queued === 0 && !o.dryRun) throw new SpamxError('BAD_REQUEST', 'no message gave an origin that could be queued');
  return 0;
}

/** The origin data as `spamx stats --by country` reads it; a run goes on without countries when it cannot be loaded. */
function originData(config: ReturnType<typeof loadConfig>): OriginTable | null {
  try {
    return loadOriginTable(config);
  } catch (err) {
    process.stderr.write(`origin data not loaded, no countries in the summary: ${(err as Error).message}\n`);
    return null;
  }
}

/** What a dry run would queue, as report CSV (`spamx report FILE` takes it); what policy refuses is on stderr already. */
function printDryRun(objects: readonly MailReportObject[], parsed: ParsedReport, out: (text: string) => void): void {
  const refused = new Set(parsed.refused.map((r) => r.line - 1));
  const lines: string[] = [];
  objects.forEach((r, i) => {
    if (!refused.has(i)) lines.push(`${r.prefix},${r.firstSeen},${r.lastSeen},${r.reports}\n`);
  });
  out(lines.join(''));
}

/** The summary for a person; with `--dry-run` it follows the CSV as `#` comment lines, which a report may hold. */
export function summaryText(s: MailRunSummary, dryRun: boolean): string {
  const lines = [
    `messages read ${s.messages}; origins found ${s.origins} (Received ${s.via.received}, ARF ${s.via.arf}, X-ARF ${s.via['x-arf']})`,
    `${dryRun ? 'would queue' : 'queued'} ${s.queued} messages' origins as ${s.reportLines} report lines; refused ${s.refused.reduce((n, r) => n + r.messages, 0)}`,
  ];
  for (const r of s.refused) lines.push(`  ${r.code} ${r.messages} (e.g. ${printable(r.example)})`);
  if (s.brokenSeparators > 0) lines.push(`broken mbox separators ${s.brokenSeparators} (the messages around them were read)`);
  if (s.byCountry.length > 0) {
    lines.push('origins by country (registration):');
    for (const c of s.byCountry.slice(0, 20)) lines.push(`  ${c.country ?? '--'} ${c.messages}`);
    if (s.byCountry.length > 20) lines.push(`  … ${s.byCountry.length - 20} more`);
  }
  return `${lines.map((l) => (dryRun ? `# ${l}` : l)).join('\n')}\n`;
}
