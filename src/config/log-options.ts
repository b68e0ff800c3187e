import { pino, type LoggerOptions } from 'pino';

/**
 * The options of every logger spamx makes: JSON lines whose `time` is RFC 3339 UTC (README
 * "Times"), as every other time spamx prints, rather than pino's epoch milliseconds.
 */
export function logOptions(level: string, base?: Record<string, unknown>): LoggerOptions {
  return { level, ...(base ? { base } : {}), timestamp: pino.stdTimeFunctions.isoTime };
}
