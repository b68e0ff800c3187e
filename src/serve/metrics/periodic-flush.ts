/**
 * Runs a counter's flush every `ms` and once more when stopped (subscriber usage, partner
 * access): a write a minute, not one per request. The timer never keeps the process alive.
 */
export class PeriodicFlush {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ms: number,
    private readonly flush: () => void,
  ) {}

  start(): void {
    this.stop();
    this.timer = setInterval(this.flush, this.ms);
    this.timer.unref();
  }

  /** Stops the timer and flushes what was counted since the last flush. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.flush();
  }
}
