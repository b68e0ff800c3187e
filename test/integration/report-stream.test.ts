import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { loadConfig } from '../../src/config/config.js';
import { initTestNode } from '../helpers/nodes.js';
import { BIN, runCli } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * `spamx report` streams its input (issue 15, item 4): a 200,000-line report through the real
 * CLI, with broken lines among the good ones, then `spamx publish`. The node's list must hold
 * exactly the accepted prefixes, and each refused line must be named with its line number. Then
 * reports from stdin, which add to what is queued and lose none of it.
 */
const LINES = 200_000;
const tmp = tempDir('spamx-report-stream-');
let dir: string;
let file: string;
/** Line number (1-based) → what is wrong with it, for the lines planted broken. */
const broken = new Map<number, { text: string; code: string }>();
const accepted = new Set<string>();

function address(i: number): string {
  // Public unicast space only (36/8, 61/8, 114/8): no line is refused by policy by accident.
  return `${[36, 61, 114][i % 3]}.${1 + ((i >> 16) & 63)}.${(i >> 8) & 255}.${i & 255}`;
}

beforeAll(async () => {
  dir = await initTestNode(tmp.path, { id: 'cn-stream' });
  const lines: string[] = ['# a large report: one address per line'];
  for (let i = 0; lines.length < LINES; i++) {
    const line = lines.length + 1;
    if (line % 20_011 === 0) {
      broken.set(line, { text: '192.0.2.7', code: 'PREFIX_SPECIAL_PURPOSE' });
      lines.push('192.0.2.7');
    } else if (line % 30_011 === 0) {
      broken.set(line, { text: '61.4.12.300', code: 'PREFIX_INVALID' });
      lines.push('61.4.12.300');
    } else {
      lines.push(address(i));
      accepted.add(`${address(i)}/32`);
    }
  }
  file = join(tmp.path, 'large-report.txt');
  writeFileSync(file, `${lines.join('\r\n')}\r\n`); // CRLF, as a Windows export writes it
});

afterAll(() => tmp.cleanup());

describe('spamx report of a large file', () => {
  it('queues every good line, names each broken one by line number, and publishes exactly the accepted set', async () => {
    const report = await runCli(['report', '--data', dir, file]);
    expect(report.code).toBe(0);
    expect(report.stdout).toBe(`queued ${accepted.size}, refused ${broken.size}\n`);
    const named = report.stderr.trim().split('\n');
    expect(named).toHaveLength(broken.size);
    for (const [line, { text, code }] of broken) {
      expect(named).toContainEqual(expect.stringMatching(new RegExp(`^${file.replaceAll('.', '\\.')}:${line}: ${text.replaceAll('.', '\\.')}: ${code}: `)));
    }
    // Piped (not a terminal): no progress bar, not one escape code.
    expect(report.stderr).not.toMatch(/\x1b|\r/);

    const publish = await runCli(['publish', '--data', dir]);
    expect(publish.code).toBe(0);
    expect(publish.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^published seq 1: 100000 entries, leaf hash /),
      expect.stringMatching(new RegExp(`^published seq 2: ${accepted.size - 100_000} entries, leaf hash `)),
    ]);
    expect(publish.stderr).toBe('');

    const exported = await runCli(['export', '--data', dir, '--format', 'txt']);
    expect(exported.code).toBe(0);
    const listed = exported.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(listed).toHaveLength(accepted.size);
    expect(new Set(listed)).toEqual(accepted);

    const db = new Database(loadConfig(dir).paths.database, { readonly: true });
    try {
      const refusals = db.prepare("SELECT reason FROM refusals WHERE publisher = 'cn-stream' AND seq IS NULL").pluck().all() as string[];
      expect(refusals.map((r) => Number(/^report line (\d+):/.exec(r)?.[1])).sort((a, b) => a - b)).toEqual([...broken.keys()].sort((a, b) => a - b));
      expect(db.prepare('SELECT count(*) FROM report_queue').pluck().get()).toBe(0);
    } finally {
      db.close();
    }
  });

  it('reads stdin a group at a time too, adding to what is queued', async () => {
    expect((await runCli(['report', '--data', dir, '-'], '114.200.0.1\n114.200.0.2\n')).stdout).toBe('queued 2, refused 0\n');
    const child = spawn(process.execPath, [BIN, 'report', '--data', dir, '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const lines = Array.from({ length: 20_000 }, (_, i) => `116.${1 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`);
    child.stdin.end(`${lines.join('\n')}\n116.9.9.9/33\n`);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(stderr).toMatch(/^-:20001: 116\.9\.9\.9\/33: PREFIX_INVALID: /m);
    const db = new Database(loadConfig(dir).paths.database, { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) FROM report_queue').pluck().get()).toBe(20_002);
    } finally {
      db.close();
    }
  });
});
