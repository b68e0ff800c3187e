import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initTestNode } from '../helpers/nodes.js';
import { BIN, runCli } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * Progress bars (issue 15, item 4): on a terminal `spamx report`, `publish` and `export` (to a
 * file) draw one on stderr; piped, or with --quiet, not a byte of it. The terminal is a real
 * pseudo-terminal from util-linux `script`, which runs the command with its stdin, stdout and
 * stderr on the pty and copies what the pty shows to its own stdout.
 */
const tmp = tempDir('spamx-progress-');
let dir: string;
let file: string;

const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/** Runs a shell command line on a pseudo-terminal; resolves everything the terminal showed. */
function onTerminal(command: string): Promise<{ code: number | null; shown: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TERM: 'xterm', COLUMNS: '120' } });
    let shown = '';
    child.stdout.on('data', (d: Buffer) => (shown += d.toString()));
    child.stderr.on('data', (d: Buffer) => (shown += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, shown }));
  });
}

const spamx = (args: string) => `${quote(process.execPath)} ${quote(BIN)} ${args}`;

beforeAll(async () => {
  execFileSync('script', ['--version']); // util-linux script is there (Debian bsdutils)
  dir = await initTestNode(tmp.path, { id: 'cn-bars' });
  const lines = Array.from({ length: 30_000 }, (_, i) => `61.${1 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`);
  file = join(tmp.path, 'report.txt');
  writeFileSync(file, `${lines.join('\n')}\n192.0.2.1\n`);
});

afterAll(() => tmp.cleanup());

describe('progress on a terminal', () => {
  it('report draws a bar on the terminal, and a refused line above it', async () => {
    const { code, shown } = await onTerminal(spamx(`report --data ${quote(dir)} ${quote(file)}`));
    expect(code).toBe(0);
    expect(shown).toMatch(/report \[=+\] 100% \| 0\.3 MB\/0\.3 MB/);
    expect(shown).toContain('\x1b['); // cursor and line control: a terminal's bar
    expect(shown).toMatch(/report\.txt:30001: 192\.0\.2\.1: PREFIX_SPECIAL_PURPOSE: /);
    expect(shown).toContain('queued 30000, refused 1');
  });

  it('publish draws one over the queued reports', async () => {
    const { code, shown } = await onTerminal(spamx(`publish --data ${quote(dir)}`));
    expect(code).toBe(0);
    expect(shown).toMatch(/publish \[=+\] 100% \| 30,000\/30,000 reports/);
    expect(shown).toMatch(/published seq 1: 30000 entries/);
  });

  it('export to a file draws one on stderr, and the file holds the list alone', async () => {
    const out = join(tmp.path, 'list.txt');
    const { code, shown } = await onTerminal(`${spamx(`export --data ${quote(dir)}`)} > ${quote(out)}`);
    expect(code).toBe(0);
    expect(shown).toMatch(/export \d+\.\d MB/);
    const list = readFileSync(out, 'utf8');
    expect(list).not.toMatch(/\x1b|\r/);
    expect(list.split('\n').filter((l) => l && !l.startsWith('#'))).toHaveLength(30_000);
  });

  it('draws nothing under --quiet, or when stderr is not the terminal', async () => {
    const quiet = await onTerminal(spamx(`report --quiet --data ${quote(dir)} ${quote(file)}`));
    expect(quiet.code).toBe(0);
    expect(quiet.shown).not.toMatch(/report \[|\x1b\[/);
    const piped = await onTerminal(`${spamx(`publish --data ${quote(dir)}`)} 2>&1 | cat`);
    expect(piped.code).toBe(0);
    expect(piped.shown).not.toMatch(/publish \[|\x1b\[/);
    expect(piped.shown).toMatch(/published seq 2: 30000 entries/);
  });

  it('piped with no terminal at all, report and publish write only their lines', async () => {
    const r = await runCli(['report', '--data', dir, '-'], '61.200.0.1\n');
    expect(r.stdout).toBe('queued 1, refused 0\n');
    expect(r.stderr).toBe('');
  });
});
