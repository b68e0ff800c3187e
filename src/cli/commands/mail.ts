import { MailReports, mailFrom } from '../../serve/mail/mail-reports.js';
import { DAY_MS, utcDay, utcDayBounds } from '../../serve/mail/daily-report.js';
import { dataDir, UsageError, type DataOptions } from '../args.js';
import { withNode } from './open-node.js';

export interface MailSendOptions extends DataOptions {
  readonly day?: string;
  readonly subscriber?: string;
  readonly dryRun?: boolean;
}

/**
 * `spamx mail send`: the daily reports of one UTC day, made and sent now (or printed with
 * --dry-run), one line each on stdout; a report the relay did not take is told on stderr, and
 * the exit status is then 1.
 */
export async function mailSend(o: MailSendOptions): Promise<number> {
  if (o.day !== undefined && !utcDayBounds(o.day)) throw new UsageError(`--day must be a UTC day written YYYY-MM-DD, not "${o.day}"`);
  return withNode(dataDir(o.data), async (node) => {
    const reports = new MailReports({
      config: node.config,
      store: node.store,
      log: node.log,
      clock: node.clock,
      origins: () => node.ctx.origins.current(),
      publicUrl: () => node.url,
      project: () => node.project(),
    });
    const day = o.day ?? utcDay(node.clock() - DAY_MS);
    const outcomes = await reports.sendDay(day, { subscriber: o.subscriber, dryRun: o.dryRun });
    if (outcomes.length === 0) process.stderr.write('no subscriber gets a report: none is active with a --scope and a --contact\n');
    let failed = 0;
    for (const { subscriber, report, error } of outcomes) {
      if (!report) continue;
      const size = `${report.attachment.filename}, ${report.attachment.content.length} bytes`;
      if (error !== undefined) {
        failed++;
        process.stderr.write(`${subscriber}: ${day} report to ${report.to} not sent: ${error}\n`);
      } else if (o.dryRun) {
        process.stdout.write(`From: ${mailFrom(node.config)}\nTo: ${report.to}\nSubject: ${report.subject}\nAttachment: ${size}\n\n${report.text}\n`);
      } else {
        process.stdout.write(`${subscriber}: ${day} report sent to ${report.to} (${size})\n`);
      }
    }
    return failed > 0 ? 1 : 0;
  });
}
