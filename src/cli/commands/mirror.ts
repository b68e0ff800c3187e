import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pino } from 'pino';
import { readEnv } from '../../config/env.js';
import { logOptions } from '../../config/log-options.js';
import { MirrorFollower } from '../../mirror/mirror-follower.js';
import { UsageError } from '../args.js';

export interface MirrorOptions {
  readonly url: string;
  readonly key?: string;
  readonly keyFile?: string;
  readonly out: string;
  readonly interval?: string;
  readonly once?: boolean;
}

/** Subscriber keys as `spamx subscriber add` makes them (a key from elsewhere is not refused here: the node decides). */
const KEY_TEXT = /^[\x21-\x7e]{8,200}$/;

/**
 * `spamx mirror --url URL (--key KEY | --key-file FILE | SPAMX_MIRROR_KEY) --out DIR`: keeps
 * DIR/spamx.v4 and DIR/spamx.v6 current for rbldnsd until SIGTERM or SIGINT (or once, with
 * --once). Logs JSON lines on stdout as the node does; exits 1 with one line on stderr when the
 * node refuses the key.
 */
export async function mirrorCommand(o: MirrorOptions): Promise<number> {
  let url: URL;
  try {
    url = new URL(o.url);
  } catch {
    throw new UsageError(`--url ${o.url}: not a URL; give the node's base URL, e.g. https://spamx.example.net`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url ${o.url}: must be http or https`);
  if (url.username || url.password) throw new UsageError('--url must not carry credentials; give the key with --key-file or SPAMX_MIRROR_KEY');
  const key = subscriberKey(o);
  const interval = o.interval === undefined ? 60 : Number(o.interval);
  if (!/^\d+(\.\d+)?$/.test(o.interval ?? '60') || interval < 0.1 || interval > 86_400) {
    throw new UsageError('--interval must be a number of seconds from 0.1 to 86400');
  }
  const version = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  const log = pino(logOptions(readEnv().logLevel ?? 'info', { mirror: url.origin }));
  const follower = new MirrorFollower({
    url: url.href.replace(/\/+$/, ''),
    key,
    outDir: resolve(o.out),
    intervalMs: Math.round(interval * 1000),
    once: o.once === true,
    version,
    log,
  });
  const onSignal = (signal: string) => {
    log.info({ signal }, 'mirror stopping');
    follower.stop();
  };
  const term = () => onSignal('SIGTERM');
  const int = () => onSignal('SIGINT');
  process.once('SIGTERM', term);
  process.once('SIGINT', int);
  try {
    log.info({ url: url.origin, out: resolve(o.out), intervalS: interval }, 'spamx mirror started');
    await follower.run();
    return 0;
  } finally {
    process.off('SIGTERM', term);
    process.off('SIGINT', int);
  }
}

/** --key, else the first line of --key-file, else SPAMX_MIRROR_KEY; never echoed anywhere. */
function subscriberKey(o: MirrorOptions): string {
  if (o.key !== undefined && o.keyFile !== undefined) throw new UsageError('give the key with --key or --key-file, not both');
  let key: string | undefined = o.key;
  if (o.keyFile !== undefined) {
    try {
      key = readFileSync(o.keyFile, 'utf8').split('\n')[0]!.trim();
    } catch (err) {
      throw new UsageError(`--key-file ${o.keyFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  key ??= readEnv().mirrorKey;
  if (key === undefined) throw new UsageError('a subscriber key is needed: --key KEY, --key-file FILE, or SPAMX_MIRROR_KEY');
  if (!KEY_TEXT.test(key)) throw new UsageError('the subscriber key is not a key (8 to 200 printable characters, no spaces)');
  return key;
}
