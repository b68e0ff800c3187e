import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { describeError } from '../core/errors.js';

export interface Job {
  readonly name: string;
  readonly schedule: string;
  readonly run: () => Promise<unknown>;
}

/**
 * Runs jobs on cron schedules (node-cron; six fields allow seconds). A job never overlaps
 * itself: a tick that finds the previous run still going is skipped. One job failing or
 * hanging never delays another. `stop()` stops the ticks and waits for runs in flight.
 */
export class Scheduler {
  private readonly tasks = new Map<string, { schedule: string; task: ScheduledTask }>();
  private readonly running = new Map<string, Promise<unknown>>();

  constructor(private readonly log: Logger) {}

  /** Makes the scheduled set exactly `jobs`: new ones start, gone ones stop, changed ones restart. */
  setJobs(jobs: readonly Job[]): void {
    const wanted = new Map(jobs.map((j) => [j.name, j]));
    for (const [name, entry] of this.tasks) {
      const job = wanted.get(name);
      if (!job || job.schedule !== entry.schedule) {
        void entry.task.destroy();
        this.tasks.delete(name);
      }
    }
    for (const job of jobs) {
      if (this.tasks.has(job.name)) continue;
      const task = cron.schedule(job.schedule, () => this.runNow(job.name, job.run), {
        name: job.name,
        suppressMissedWarning: true,
        logger: silentCronLogger,
      });
      this.tasks.set(job.name, { schedule: job.schedule, task });
    }
  }

  /** Runs a job now unless it is already running; resolves when that run (or the current one) ends. */
  runNow<T>(name: string, run: () => Promise<T>): Promise<T | undefined> {
    const current = this.running.get(name);
    if (current) return current.then(() => undefined);
    const promise = run()
      .catch((err: unknown) => {
        this.log.error({ job: name, err: describeError(err) }, 'scheduled job failed');
        return undefined;
      })
      .finally(() => this.running.delete(name));
    this.running.set(name, promise);
    return promise;
  }

  isRunning(name: string): boolean {
    return this.running.has(name);
  }

  async stop(): Promise<void> {
    for (const { task } of this.tasks.values()) await task.destroy();
    this.tasks.clear();
    await Promise.allSettled([...this.running.values()]);
  }
}

const silentCronLogger = { info() {}, warn() {}, error() {}, debug() {} };
