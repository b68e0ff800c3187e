import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpamxNode } from '../../src/daemon.js';
import { dig, digA, v4Name, v6Name } from '../helpers/dig.js';
import { freePort } from '../helpers/free-port.js';
import { initTestNode, startTestNode } from '../helpers/nodes.js';
import { freeUdpPort } from '../helpers/rbldnsd.js';
import { runCli, spawnLogged, type LoggedProcess } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * `spamx mirror` as a real child process following a real node's change stream, with the real
 * rbldnsd(8) serving the files it writes: rbldnsd's answers (asked with `dig`) equal the node's own
 * DNSBL after listings, a delisting, an expiry, a node restart and a 410, and the files equal the
 * node's `format=rbldnsd` for the same list. A revoked or unknown key ends the mirror with status 1.
 */
const ZONE = 'bl.test';
const DAY = 86_400_000;
const tmp = tempDir('spamx-mirror-');
const out = join(tmp.path, 'rbldnsd');
let now = Date.parse('2026-11-01T00:00:00Z');
const clock = () => now;
let dir: string;
let node: SpamxNode | undefined;
let key: string;
let keyFile: string;
let mirror: MirrorProcess | undefined;
let rbldnsd: ChildProcess | undefined;
let rbldnsdPort: number;
const iso = (ms: number) => new Date(ms).toISOString();

type MirrorProcess = LoggedProcess;

/** `spamx mirror` polling every 200 ms, its JSON log lines collected. */
function startMirror(args: readonly string[] = ['--key-file', keyFile]): MirrorProcess {
  return spawnLogged(['mirror', '--url', node!.url, '--out', out, '--interval', '0.2', ...args]);
}

const logged = (m: MirrorProcess, msg: string) => m.lines.filter((l) => l.msg === msg);

async function list(lines: readonly (readonly [string, number])[]): Promise<void> {
  const csv = lines.map(([prefix, days]) => `${prefix},${iso(now)},${iso(now + days * DAY)}`).join('\n');
  expect(node!.reportText(`prefix,last_seen,expires\n${csv}\n`).refused).toEqual([]);
  await node!.publish();
  node!.project();
}

async function delist(...prefixes: string[]): Promise<void> {
  node!.delist(prefixes, null);
  await node!.publish();
  node!.project();
}

/** Listed and unlisted addresses around every listing the test makes, IPv4 and IPv6. */
const SAMPLES = [
  ...['61.4.12.7', '61.4.12.6', '61.4.12.8', '116.31.64.0', '116.31.64.77', '116.31.64.255', '116.31.65.0', '116.31.63.255'],
  ...['202.12.27.1', '202.12.26.255', '61.200.1.9', '61.200.2.0', '114.114.114.114', '114.114.114.115', '36.110.0.1', '1.1.1.1'],
  ...['127.0.0.2', '127.0.0.1'],
].map((a) => v4Name(a, ZONE));
SAMPLES.push(...['2400:cb00::1', '2400:cb00:ffff::9', '2400:cb01::', '2401:3800::5', '2401:3800::6', '2402:4e00::1', '::ffff:7f00:2'].map((a) => v6Name(a, ZONE)));

/** rbldnsd's answers for every sample equal the node's DNSBL's; answers the node's. */
async function inStep(what: string): Promise<string[][]> {
  return waitFor(
    `rbldnsd to answer as the node's DNSBL ${what}`,
    async () => {
      const ours = await Promise.all(SAMPLES.map((name) => digA(node!.dnsblPort!, name)));
      const theirs = await Promise.all(SAMPLES.map((name) => digA(rbldnsdPort, name)));
      if (JSON.stringify(ours) !== JSON.stringify(theirs)) throw new Error(`node ${JSON.stringify(ours)} rbldnsd ${JSON.stringify(theirs)}`);
      return ours;
    },
    { timeoutMs: 60_000, intervalMs: 300 },
  );
}

const listedSamples = (answers: string[][]) => SAMPLES.filter((_, i) => answers[i]!.length > 0);

/** The data of an rbldnsd file: without comments and the $TIMESTAMP (the time it was written). */
const dataLines = (text: string) => text.split('\n').filter((l) => !l.startsWith('#') && !l.startsWith('$TIMESTAMP'));

/** The mirror's files hold exactly what the node's `format=rbldnsd` holds now. */
async function filesEqualTheNodes(): Promise<void> {
  await waitFor('the mirror files to equal the node rbldnsd format', async () => {
    for (const [family, file] of [['4', 'spamx.v4'], ['6', 'spamx.v6']] as const) {
      const res = await fetch(`${node!.url}/v1/blocklist?format=rbldnsd&family=${family}`, { headers: { 'x-api-key': key } });
      expect(res.status).toBe(200);
      const theirs = dataLines(readFileSync(join(out, file), 'utf8'));
      const ours = dataLines(await res.text());
      if (JSON.stringify(theirs) !== JSON.stringify(ours)) throw new Error(`${file}: ${JSON.stringify(theirs)} != ${JSON.stringify(ours)}`);
    }
    return true;
  });
}

/** The real rbldnsd over the mirror's two files, checking them every second. */
async function startRbldnsd(): Promise<void> {
  // rbldnsd refuses to run as root; as `nobody` it must reach the files.
  chmodSync(tmp.path, 0o755);
  chmodSync(out, 0o755);
  const user = process.getuid?.() === 0 ? ['-u', 'nobody'] : [];
  for (let attempt = 0; ; attempt++) {
    rbldnsdPort = await freeUdpPort();
    const specs = [`${ZONE}:ip4set:${join(out, 'spamx.v4')}`, `${ZONE}:ip6trie:${join(out, 'spamx.v6')}`];
    const child = spawn('rbldnsd', ['-n', '-f', '-c', '1', ...user, '-b', `127.0.0.1/${rbldnsdPort}`, ...specs], { stdio: ['ignore', 'pipe', 'pipe'] });
    rbldnsd = child;
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    try {
      await waitFor('rbldnsd to answer', async () => {
        if (child.exitCode !== null) throw new Error(`rbldnsd exited ${child.exitCode}: ${output}`);
        return (await dig(rbldnsdPort, v4Name('127.0.0.2', ZONE))).status === 'NOERROR';
      });
      return;
    } catch (err) {
      await stopRbldnsd();
      if (attempt >= 3 || !/Address already in use/.test(output)) throw err;
    }
  }
}

async function stopRbldnsd(): Promise<void> {
  const child = rbldnsd;
  rbldnsd = undefined;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

beforeAll(async () => {
  // A fixed port, so the node restarted later is at the URL the mirror follows.
  const port = await freePort();
  dir = await initTestNode(tmp.path, { id: 'jp-dekyo', config: { port, subscribers: { public: false, rateLimitPerMinute: 100_000 }, dnsbl: { port: 0, zone: ZONE } } as never });
  node = await startTestNode(dir, clock);
  const added = await runCli(['subscriber', 'add', 'isp-mirror', '--data', dir]);
  expect(added.code, added.stderr).toBe(0);
  key = added.stdout.trimEnd().split('\n').at(-1)!;
  keyFile = join(tmp.path, 'mirror.key');
  writeFileSync(keyFile, `${key}\n`, { mode: 0o600 });
  await list([
    ['61.4.12.7', 60],
    ['116.31.64.0/24', 60],
    ['202.12.27.0/24', 2],
    ['2400:cb00::/32', 60],
    ['2401:3800::5', 60],
  ]);
}, 120_000);

afterAll(async () => {
  await mirror?.stop();
  await stopRbldnsd();
  await node?.destroy();
  tmp.cleanup();
});

describe('spamx mirror with rbldnsd', () => {
  it('refuses to start without a key, and exits 1 naming the cause when the node does not know the key', async () => {
    const none = await runCli(['mirror', '--url', node!.url, '--out', out], undefined);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/a subscriber key is needed/);
    const unknown = await runCli(['mirror', '--url', node!.url, '--out', join(tmp.path, 'other'), '--key', 'spx_notakeythisnodeissued0000000000000000000']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^spamx mirror: .*refused the subscriber key \(401/);
    expect(unknown.stderr).not.toContain(key);
  });

  it('writes both files from a snapshot, which rbldnsd serves as the node does', async () => {
    mirror = startMirror();
    await waitFor('the mirror to write its files', () => existsSync(join(out, 'spamx.v4')) && existsSync(join(out, 'spamx.v6')));
    expect(logged(mirror, 'snapshot written')).toHaveLength(1);
    await startRbldnsd();
    const answers = await inStep('after the snapshot');
    expect(listedSamples(answers).length).toBeGreaterThanOrEqual(8);
    await filesEqualTheNodes();
    // The key is in no log line.
    expect(JSON.stringify(mirror.lines)).not.toContain(key);
  });

  it('with --once brings a directory up to date and exits 0, the key taken from SPAMX_MIRROR_KEY', async () => {
    const once = join(tmp.path, 'once');
    process.env.SPAMX_MIRROR_KEY = key;
    let result;
    try {
      result = await runCli(['mirror', '--url', node!.url, '--out', once, '--once']);
    } finally {
      delete process.env.SPAMX_MIRROR_KEY;
    }
    expect(result.code, result.stderr).toBe(0);
    for (const file of ['spamx.v4', 'spamx.v6']) {
      expect(dataLines(readFileSync(join(once, file), 'utf8'))).toEqual(dataLines(readFileSync(join(out, file), 'utf8')));
    }
    expect(JSON.parse(readFileSync(join(once, 'spamx.cursor'), 'utf8'))).toMatchObject({ url: node!.url });
  });

  it("shows each key's last mirror poll in the node's status and in `spamx status`", async () => {
    const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    expect(node!.status().mirrors).toEqual([
      { subscriber: 'isp-mirror', agent: `spamx-mirror/${version}`, lastPollAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/), revoked: false },
    ]);
    const status = await runCli(['status', '--data', dir]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`\\n  mirrors \\(spamx mirror\\): 1\\n    isp-mirror: last poll \\d{4}-\\S+ \\(spamx-mirror/${version.replace(/\./g, '\\.')}\\)\\n`));
  });

  it('follows listings and a delisting', async () => {
    await list([
      ['61.200.1.0/24', 60],
      ['114.114.114.114', 60],
      ['2402:4e00::/32', 60],
    ]);
    await delist('116.31.64.0/24');
    const answers = await inStep('after listings and a delisting');
    expect(listedSamples(answers)).toContain(v4Name('61.200.1.9', ZONE));
    expect(listedSamples(answers)).not.toContain(v4Name('116.31.64.77', ZONE));
    expect(listedSamples(answers)).toContain(v6Name('2402:4e00::1', ZONE));
    await filesEqualTheNodes();
    expect(logged(mirror!, 'files updated').length).toBeGreaterThanOrEqual(1);
  });

  it('follows an expiry', async () => {
    expect(listedSamples(await inStep('before the expiry'))).toContain(v4Name('202.12.27.1', ZONE));
    now += 3 * DAY;
    node!.project();
    const answers = await inStep('after the expiry');
    expect(listedSamples(answers)).not.toContain(v4Name('202.12.27.1', ZONE));
    await filesEqualTheNodes();
  });

  it('keeps the last files through a node restart, logging the outage once, and follows on after it', async () => {
    const before = await inStep('before the restart');
    await node!.destroy();
    node = undefined;
    await waitFor('the mirror to fail a few polls', () => logged(mirror!, 'poll failed again').length >= 2, { timeoutMs: 60_000 });
    expect(logged(mirror!, 'poll failed; the last files stay in place, retrying with backoff')).toHaveLength(1);
    // rbldnsd still answers from the last files.
    expect(await Promise.all(SAMPLES.map((name) => digA(rbldnsdPort, name)))).toEqual(before);
    node = await startTestNode(dir, clock);
    await list([['36.110.0.0/16', 60]]);
    const answers = await inStep('after the restart');
    expect(listedSamples(answers)).toContain(v4Name('36.110.0.1', ZONE));
    expect(logged(mirror!, 'polling again')).toHaveLength(1);
    expect(logged(mirror!, 'snapshot written')).toHaveLength(1);
    await filesEqualTheNodes();
  });

  it('stops cleanly on SIGTERM and resumes from its cursor without a snapshot', async () => {
    expect(await mirror!.stop()).toBe(0);
    mirror = startMirror();
    await waitFor('the mirror to resume', () => logged(mirror!, 'resuming from the files and cursor in the output directory').length === 1);
    await delist('61.4.12.7');
    expect(listedSamples(await inStep('after resuming'))).not.toContain(v4Name('61.4.12.7', ZONE));
    expect(logged(mirror!, 'snapshot written')).toHaveLength(0);
    await filesEqualTheNodes();
  });

  it('starts again from a snapshot when its cursor is older than the change log (410)', async () => {
    expect(await mirror!.stop()).toBe(0);
    // Changes the stopped mirror misses, then a clock past the 7-day log: its cursor is pruned.
    await list([['61.4.12.7', 60]]);
    await delist('114.114.114.114');
    now += 8 * DAY;
    node!.project();
    mirror = startMirror();
    await waitFor('the mirror to take a new snapshot', () => logged(mirror!, 'snapshot written').length === 1);
    expect(logged(mirror!, 'cursor expired: starting again from a snapshot')).toHaveLength(1);
    const answers = await inStep('after the 410');
    expect(listedSamples(answers)).toContain(v4Name('61.4.12.7', ZONE));
    expect(listedSamples(answers)).not.toContain(v4Name('114.114.114.114', ZONE));
    await filesEqualTheNodes();
  });

  it('exits 1 with a clear message when its key is revoked, leaving the files in place', async () => {
    const revoked = await runCli(['subscriber', 'revoke', 'isp-mirror', '--data', dir]);
    expect(revoked.code, revoked.stderr).toBe(0);
    const code = await Promise.race([mirror!.exited, new Promise<string>((r) => setTimeout(() => r('still running'), 60_000))]);
    expect(code).toBe(1);
    expect(mirror!.stderr()).toMatch(/^spamx mirror: .*refused the subscriber key \(401.*revoked/m);
    expect(existsSync(join(out, 'spamx.v4'))).toBe(true);
    expect((await dig(rbldnsdPort, v4Name('127.0.0.2', ZONE))).status).toBe('NOERROR');
  });
});
