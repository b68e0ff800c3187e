import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { NodeConfig } from '../../config/config.js';
import { backoffDelay } from '../../core/backoff.js';
import { describeError, SpamxError } from '../../core/errors.js';
import type { OriginTable } from '../../core/origin-table.js';
import { mailReportsOfDay, recordMailFailure, recordMailSent, unsentMailReports } from '../../store/mail-report-store.js';
import type { Store } from '../../store/open-store.js';
import { listSubscribers, type Subscriber } from '../../store/subscriber-store.js';
import { DAY_MS, makeDailyReport, readDayLog, renderHere, utcDay, utcDayBounds, type DailyReport, type DayLog, type ListRenderer } from './daily-report.js';

export interface MailReportsDeps {
  readonly config: NodeConfig;
  readonly store: Store;
  readonly log: Logger;
  readonly clock: () => number;
  readonly origins: () => OriginTable;
  /** The URL the node is reachable at, which the reports name. */
  readonly publicUrl: () => string;
  /** Brings the served list up to date before a report reads it (the node's projection). */
  readonly project: () => void;
  /** How the scope's list is rendered: on the node's export threads (`onThreads`); by default on this thread. */
  readonly render?: ListRenderer;
}

export interface MailOutcome {
  readonly subscriber: string;
  readonly day: string;
  readonly report?: DailyReport;
  /** Why it was not sent; absent when it was (or, dry, would be). */
  readonly error?: string;
}

/** The longest wait between two sends of one report. */
const MAX_RETRY_MS = 6 * 3_600_000;
const silentCronLogger = { info() {}, warn() {}, error() {}, debug() {} };

/**
 * The daily report mailed to every active scoped subscriber with a contact: the previous UTC
 * day's, once, on `mail.schedule` (and at start, for a day missed while the node was down).
 * A failed send is retried after `retryBaseMs`, doubling, until `maxAttempts`; each failure is
 * logged and kept in the store. One send at a time, each bounded by `timeoutMs`, all of it
 * asynchronous: the node never waits for the relay. A report counts as sent only once the relay
 * accepted it.
 */
export class MailReports {
  private task: ScheduledTask | undefined;
  private retry: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** Closes the relay connection of the send in flight. */
  private abort: (() => void) | undefined;

  constructor(private readonly deps: MailReportsDeps) {}

  start(): void {
    const { mail } = this.deps.config;
    if (!mail.smtp) return;
    this.stopped = false;
    // In UTC, as the days reported are: node-cron reads a schedule in the local time zone otherwise.
    this.task = cron.schedule(mail.schedule, () => void this.runNow(), { name: 'mail-reports', timezone: 'UTC', noOverlap: true, logger: silentCronLogger });
    void this.runNow();
  }

  /** Stops the schedule, cuts a send in flight short (it is tried again after a restart), and waits for the run to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.task?.destroy();
    this.task = undefined;
    this.abort?.();
    await this.running;
  }

  /** Runs what is due now, unless a run is going (then resolves when it ends). */
  runNow(): Promise<void> {
    this.running ??= this.runOnce(this.deps.clock())
      .then(() => this.armRetry())
      .catch((err: unknown) => this.deps.log.error({ err: describeError(err) }, 'mail reports failed'))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  /**
   * Sends what is due at `now`: the previous UTC day's report to every subscriber that has none
   * yet, and failed reports of any day whose next attempt has come.
   */
  async runOnce(now: number): Promise<MailOutcome[]> {
    const { mail } = this.deps.config;
    if (!mail.smtp) return [];
    const { store } = this.deps;
    const subscribers = new Map(eligible(listSubscribers(store)).map((s) => [s.id, s]));
    const previous = utcDay(now - DAY_MS);
    const done = mailReportsOfDay(store, previous);
    const due: { subscriber: Subscriber; day: string; attempts: number }[] = [];
    for (const s of subscribers.values()) if (!done.has(s.id)) due.push({ subscriber: s, day: previous, attempts: 0 });
    for (const row of unsentMailReports(store, mail.maxAttempts)) {
      const s = subscribers.get(row.subscriberId);
      if (s && row.nextAttemptAt !== null && row.nextAttemptAt <= now) due.push({ subscriber: s, day: row.day, attempts: row.attempts });
    }
    this.deps.log.debug({ due: due.length }, 'mail reports run');
    const logs = new Map<string, DayLog>();
    const outcomes: MailOutcome[] = [];
    for (const { subscriber, day, attempts } of due) {
      if (this.stopped) break;
      let report: DailyReport | undefined;
      try {
        this.checkDay(day, now);
      } catch (err) {
        outcomes.push(this.failed(subscriber, day, attempts, err, null)); // the log no longer holds the day: given up
        continue;
      }
      try {
        report = await this.make(subscriber, day, logs);
        await this.send(report);
        recordMailSent(store, subscriber.id, day, now);
        this.deps.log.info({ subscriber: subscriber.name, to: report.to, day, bytes: report.attachment.content.length }, 'mail report sent');
        outcomes.push({ subscriber: subscriber.name, day, report });
      } catch (err) {
        if (this.stopped) break; // cut short by stop(): not the relay's failure; sent after a restart
        const attempt = attempts + 1;
        const next = attempt >= mail.maxAttempts ? null : now + backoffDelay(attempt, { baseMs: mail.retryBaseMs, maxMs: MAX_RETRY_MS }, Math.random());
        outcomes.push({ ...this.failed(subscriber, day, attempts, err, next), ...(report ? { report } : {}) });
      }
    }
    return outcomes;
  }

  /**
   * `spamx mail send`: the reports of `day` made now for every eligible subscriber (or the one
   * named) and sent whatever was sent before, or only made with `dryRun`. A day that has ended,
   * sent, is recorded as sent; a day still running is a preview, and its report goes out again
   * once it ends.
   */
  async sendDay(day: string, options: { subscriber?: string | undefined; dryRun?: boolean | undefined } = {}): Promise<MailOutcome[]> {
    const { store, config } = this.deps;
    const now = this.deps.clock();
    if (!options.dryRun && !config.mail.smtp) throw new SpamxError('CONFIG_INVALID', `${config.paths.config} has no mail.smtp: set the relay to send reports to`);
    this.checkDay(day, now);
    const all = listSubscribers(store);
    let chosen = eligible(all);
    if (options.subscriber !== undefined) {
      const named = all.find((s) => s.name === options.subscriber);
      if (!named) throw new SpamxError('NOT_FOUND', `no subscriber ${options.subscriber}`);
      if (!chosen.includes(named)) throw new SpamxError('BAD_REQUEST', `subscriber ${named.name} gets no report: ${named.revokedAt !== null ? 'it is revoked' : !named.scope ? 'it has no scope' : 'it has no contact'}`);
      chosen = [named];
    }
    const ended = utcDayBounds(day)!.end <= now;
    const logs = new Map<string, DayLog>();
    const outcomes: MailOutcome[] = [];
    for (const subscriber of chosen) {
      const report = await this.make(subscriber, day, logs);
      try {
        if (!options.dryRun) await this.send(report);
        if (!options.dryRun && ended) recordMailSent(store, subscriber.id, day, now);
        outcomes.push({ subscriber: subscriber.name, day, report });
      } catch (err) {
        outcomes.push({ subscriber: subscriber.name, day, report, error: describeError(err) });
      }
    }
    return outcomes;
  }

  /** A failed attempt, logged and kept; tried again at `next`, or given up (null). */
  private failed(subscriber: Subscriber, day: string, attempts: number, err: unknown, next: number | null): MailOutcome {
    const error = describeError(err);
    recordMailFailure(this.deps.store, subscriber.id, day, error, next);
    const fields = { subscriber: subscriber.name, to: subscriber.contact, day, attempt: attempts + 1, err: error };
    if (next === null) this.deps.log.error(fields, 'mail report not sent, given up');
    else this.deps.log.warn({ ...fields, nextAttemptAt: new Date(next).toISOString() }, 'mail report not sent, will retry');
    return { subscriber: subscriber.name, day, error };
  }

  /** A day the change log still holds all of, and that has begun. */
  private checkDay(day: string, now: number): void {
    const bounds = utcDayBounds(day);
    if (!bounds) throw new SpamxError('BAD_REQUEST', `"${day}" is not a day written YYYY-MM-DD`);
    if (bounds.start > now) throw new SpamxError('BAD_REQUEST', `${day} has not begun (UTC)`);
    const kept = this.deps.config.subscribers.changesRetentionDays;
    if (bounds.start < now - kept * DAY_MS) throw new SpamxError('BAD_REQUEST', `the change log keeps ${kept} days (subscribers.changesRetentionDays), and no longer all of ${day}`);
  }

  /** One report; a finished day's log is read once for all subscribers. */
  private async make(subscriber: Subscriber, day: string, logs: Map<string, DayLog>): Promise<DailyReport> {
    const { store, config } = this.deps;
    this.deps.project();
    let log = logs.get(day);
    if (!log) {
      log = await readDayLog(store, day);
      if (log.end <= this.deps.clock()) logs.set(day, log);
    }
    const node = { id: config.id, name: config.name, url: this.deps.publicUrl(), dnsblTtl: config.dnsbl.ttl, country: config.country };
    const render = this.deps.render ?? renderHere(store);
    return makeDailyReport({ store, origins: this.deps.origins(), node, render }, subscriber, log, this.deps.clock());
  }

  /** Hands one report to the relay; resolves once the relay accepted it, within `timeoutMs`. */
  private async send(report: DailyReport): Promise<void> {
    const { mail } = this.deps.config;
    const smtp = mail.smtp!;
    // Loaded on the first send: a node with no relay configured never holds the mail library.
    const { default: nodemailer } = await import('nodemailer');
    const transport = nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      ...(smtp.ignoreTLS !== undefined ? { ignoreTLS: smtp.ignoreTLS } : {}),
      ...(smtp.user !== undefined ? { auth: { user: smtp.user, pass: smtp.pass ?? '' } } : {}),
      connectionTimeout: mail.timeoutMs,
      greetingTimeout: mail.timeoutMs,
      socketTimeout: mail.timeoutMs,
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the relay ${smtp.host}:${smtp.port} did not accept the mail within ${mail.timeoutMs} ms`)), mail.timeoutMs);
        this.abort = () => reject(new Error('stopped'));
      });
      const sent = transport.sendMail({
        from: mailFrom(this.deps.config),
        to: report.to,
        subject: report.subject,
        text: report.text,
        attachments: [report.attachment],
        // RFC 3834 §5: no vacation or auto-reply should answer it.
        headers: { 'Auto-Submitted': 'auto-generated' },
      });
      sent.catch(() => undefined); // lost the race to the timeout: its own error is not the one told
      const info = await Promise.race([sent, timeout]);
      if (info.rejected.length > 0 || info.accepted.length === 0) throw new Error(`the relay refused ${report.to}: ${info.response}`);
    } catch (err) {
      throw new Error(relayError(err));
    } finally {
      clearTimeout(timer);
      this.abort = undefined;
      transport.close();
    }
  }

  /** Wakes a run when the earliest failed report is due again. */
  private armRetry(): void {
    clearTimeout(this.retry);
    if (this.stopped) return;
    const next = unsentMailReports(this.deps.store, this.deps.config.mail.maxAttempts).reduce<number | null>(
      (min, r) => (r.nextAttemptAt !== null && (min === null || r.nextAttemptAt < min) ? r.nextAttemptAt : min),
      null,
    );
    if (next === null) return;
    this.retry = setTimeout(() => void this.runNow(), Math.min(Math.max(0, next - this.deps.clock()), 2 ** 31 - 1));
    this.retry.unref();
  }
}

/** Who gets reports: active keys with a scope and a contact. */
function eligible(subscribers: readonly Subscriber[]): Subscriber[] {
  return subscribers.filter((s) => s.revokedAt === null && s.scope !== null && s.contact !== null);
}

/** nodemailer's error with what the relay said (its reply, or the socket's error code). */
function relayError(err: unknown): string {
  const e = err as { message?: string; code?: string; response?: string };
  const said = e.response && !String(e.message).includes(e.response) ? ` (relay said: ${e.response})` : '';
  return `${e.code ? `${e.code}: ` : ''}${describeError(err)}${said}`;
}

/** `mail.from`, or spamx@ the public URL's host name (spamx@<id>.invalid when that is an address). */
export function mailFrom(config: Pick<NodeConfig, 'id' | 'publicUrl' | 'mail'>): string {
  if (config.mail.from) return config.mail.from;
  const host = new URL(config.publicUrl).hostname;
  const isName = /^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(host) && !/^[\d.]+$/.test(host);
  return `spamx@${isName ? host : `${config.id}.invalid`}`;
}
