import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpamxNode } from '../../src/daemon.js';
import { effectiveRows } from '../../src/store/effective-query.js';
import { addSubscriber } from '../../src/store/subscriber-store.js';
import { initTestNode, startTestNode } from '../helpers/nodes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * A real CrowdSec bouncer (Debian's crowdsec-custom-bouncer; CI installs it with apt) polling a
 * real spamx node's `/v1/decisions/stream` with a subscriber key. The bouncer runs a script per
 * decision: `add VALUE SECONDS SCENARIO JSON` or `del VALUE SECONDS SCENARIO JSON`; the script
 * appends its arguments to a file, and the test replays the file as the bouncer's ban set.
 */
const BOUNCER = '/usr/bin/crowdsec-custom-bouncer';
const tmp = tempDir();
const callsFile = join(tmp.path, 'calls.txt');
let node: SpamxNode;
let bouncer: ChildProcess | undefined;
let bouncerExit: Promise<void> | undefined;
let bouncerOutput = '';

interface Call {
  readonly action: string;
  readonly value: string;
  readonly seconds: number;
  readonly scenario: string;
  readonly decision: { id: number; value: string; scope: string; duration: string; scenario: string };
}

function calls(): Call[] {
  if (!existsSync(callsFile)) return [];
  return readFileSync(callsFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [action, value, seconds, scenario, ...json] = line.split(' ');
      return { action: action!, value: value!, seconds: Number(seconds), scenario: scenario!, decision: JSON.parse(json.join(' ')) as Call['decision'] };
    });
}

/** What the bouncer bans now: every `add` minus every later `del`, by value. */
function banned(): string[] {
  const set = new Set<string>();
  for (const c of calls()) {
    if (c.action === 'add') set.add(c.value);
    else if (c.action === 'del') set.delete(c.value);
  }
  return [...set].sort();
}

/** A prefix as a bouncer value: an IPv4 /32 or IPv6 /128 as the bare address. */
function valueOf(prefix: string): string {
  return prefix.replace(prefix.includes(':') ? /\/128$/ : /\/32$/, '');
}

function listed(): string[] {
  node.project();
  return [...effectiveRows(node.store)].map((r) => valueOf(r.prefix)).sort();
}

async function waitForBanned(what: string): Promise<void> {
  await waitFor(what, () => JSON.stringify(banned()) === JSON.stringify(listed()), { timeoutMs: 90_000 }).catch((err: Error) => {
    throw new Error(`${err.message}\nbanned ${JSON.stringify(banned())}\nlisted ${JSON.stringify(listed())}\nbouncer: ${bouncerOutput}`);
  });
}

beforeAll(async () => {
  if (!existsSync(BOUNCER)) throw new Error(`${BOUNCER} is missing: apt-get install -y --no-install-recommends crowdsec-custom-bouncer`);
  node = await startTestNode(await initTestNode(tmp.path, { id: 'jp-dekyo', config: { subscribers: { public: false } } }));
  node.reportText('61.4.12.7\n116.31.64.0/24\n202.12.27.0/24\n2400:cb00::1\n2400:cb00::/32\n');
  await node.publish();
  const { key } = addSubscriber(node.store, 'isp-bouncer', Date.now());

  const script = join(tmp.path, 'record.sh');
  writeFileSync(script, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${callsFile}'\n`);
  chmodSync(script, 0o755);
  const config = join(tmp.path, 'bouncer.yaml');
  // No `.local` override exists beside this file, so the bouncer reads exactly this.
  writeFileSync(
    config,
    [
      `bin_path: ${script}`,
      'feed_via_stdin: false',
      'piddir: ' + tmp.path,
      'update_frequency: 1s',
      'cache_retention_duration: 1s',
      'daemonize: false',
      'log_mode: file',
      `log_dir: ${tmp.path}`,
      'log_level: info',
      'log_compression: false',
      `api_url: ${node.url}/`,
      `api_key: ${key}`,
      'prometheus:',
      '  enabled: false',
      '  listen_addr: 127.0.0.1',
      '  listen_port: 0',
      '',
    ].join('\n'),
  );
  const child = spawn(BOUNCER, ['-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => (bouncerOutput += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (bouncerOutput += d.toString()));
  bouncerExit = new Promise((resolve) => child.once('exit', () => resolve()));
  bouncer = child;
});

afterAll(async () => {
  if (bouncer && bouncer.exitCode === null && bouncer.signalCode === null) {
    bouncer.kill('SIGTERM');
    await bouncerExit;
  }
  await node?.destroy();
  tmp.cleanup();
});

function bouncerLog(): string {
  const file = join(tmp.path, 'crowdsec-custom-bouncer.log');
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

describe('crowdsec-custom-bouncer against the decision stream', () => {
  it('bans exactly the listed set after startup, with ids, scopes and durations it accepts', async () => {
    await waitForBanned('the bouncer to ban the startup list');
    const adds = calls().filter((c) => c.action === 'add');
    expect(adds).toHaveLength(5);
    const rows = [...effectiveRows(node.store)];
    for (const add of adds) {
      const row = rows.find((r) => valueOf(r.prefix) === add.value)!;
      expect(add.decision).toMatchObject({ id: row.id, value: add.value, scenario: 'spamx/jp-dekyo' });
      expect(add.decision.scope).toBe(row.prefix === add.value ? 'Range' : 'Ip');
      expect(add.scenario).toBe('spamx/jp-dekyo');
      // 30 days (the default expiry) less the moments since the report, as whole seconds.
      expect(add.seconds).toBeGreaterThan(30 * 86_400 - 600);
      expect(add.seconds).toBeLessThanOrEqual(30 * 86_400);
      expect(add.decision.duration).toMatch(/^\d+h\d+m\d+s$/);
    }
  });

  it('calls del for a delisted prefix, with the id it was added under', async () => {
    const added = calls().find((c) => c.action === 'add' && c.value === '116.31.64.0/24')!;
    node.delist(['116.31.64.0/24'], 'false-positive');
    await node.publish();
    await waitFor('the bouncer to delete 116.31.64.0/24', () => calls().find((c) => c.action === 'del' && c.value === '116.31.64.0/24'), {
      timeoutMs: 90_000,
    });
    const del = calls().find((c) => c.action === 'del')!;
    expect(del.decision.id).toBe(added.decision.id);
    await waitForBanned('the bouncer to ban the list without 116.31.64.0/24');
    expect(banned()).not.toContain('116.31.64.0/24');
  });

  it('adds a listing made later', async () => {
    node.reportText('61.200.1.0/24\n');
    await node.publish();
    await waitFor('the bouncer to add 61.200.1.0/24', () => calls().find((c) => c.action === 'add' && c.value === '61.200.1.0/24'), { timeoutMs: 90_000 });
    await waitForBanned('the bouncer to ban the grown list');
    expect(bouncerLog()).not.toMatch(/level=(error|fatal|panic)/);
    expect(bouncer!.exitCode).toBeNull();
  });
});
