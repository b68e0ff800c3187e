/** The only reader of process.env. */
export interface Env {
  /** Data directory used when a command gets no --data. */
  readonly dataDir: string | undefined;
  /** Overrides the configured log level. */
  readonly logLevel: string | undefined;
  /** `spamx demo` runs once to convergence and exits, as with --once. */
  readonly demoOnce: boolean;
  /** `spamx mirror`'s subscriber key when neither --key nor --key-file gives it (kept out of `ps`). */
  readonly mirrorKey: string | undefined;
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): Env {
  return {
    dataDir: env.SPAMX_DATA || undefined,
    logLevel: env.SPAMX_LOG_LEVEL || undefined,
    demoOnce: env.SPAMX_DEMO_ONCE === '1',
    mirrorKey: env.SPAMX_MIRROR_KEY || undefined,
  };
}
