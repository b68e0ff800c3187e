import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { main, normaliseArgv } from '../../src/cli/main.js';
import { buildProgram, forEachCommand } from '../../src/cli/program.js';
import { Session, usageLine } from '../../src/cli/session.js';
import { commandPath } from '../../src/cli/synopsis.js';

/**
 * The CLI is one commander definition (src/cli/program.ts) that both parses and writes the help:
 * every command's `--help` and `spamx help CMD` exit 0 and name every flag it accepts, a bad
 * flag exits 2 with that command's usage line. Run in-process: main() takes the output writers.
 */
async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

/** Every flag each command accepts, written out apart from the definition, so a flag lost or added there shows here. */
const FLAGS: Record<string, readonly string[]> = {
  init: ['--data', '--id', '--name', '--country', '--port', '--host', '--public-url', '--publish-schedule', '--public', '--public-feeds', '--dnsbl-port', '--dnsbl-zone'],
  serve: ['--data', '--port', '--host', '--dnsbl-port', '--dnsbl-zone'],
  descriptor: ['--data', '--url'],
  status: ['--data', '--json'],
  refusals: ['--data', '--publisher', '--code', '--limit', '--json'],
  report: ['--data', '--dry-run', '--json', '--mail', '--quiet', '--tlp', '--to'],
  delist: ['--data', '--reason'],
  publish: ['--data', '--quiet'],
  pull: ['--data', '--json'],
  export: ['--data', '--format', '--family', '--min-sources', '--source', '--since', '--aggregate', '--country', '--asn', '--within', '--quiet', '--everyone'],
  lookup: ['--data', '--json'],
  mirror: ['--url', '--out', '--key', '--key-file', '--interval', '--once'],
  'peer add': ['--data', '--file', '--schedule', '--mirror', '--quota', '--force'],
  'peer list': ['--data', '--json'],
  'peer remove': ['--data'],
  'peer unfreeze': ['--data'],
  'key rotate': ['--data', '--revoke-old'],
  'key revoke': ['--data', '--after-seq'],
  'key list': ['--data', '--publisher', '--json'],
  'subscriber add': ['--data', '--scope', '--contact'],
  'subscriber list': ['--data', '--json'],
  'subscriber revoke': ['--data'],
  audit: ['--key', '--data', '--checkpoint-key', '--witness', '--witness-key', '--quorum', '--since', '--save', '--json', '--quiet'],
  evidence: ['--data', '--quiet'],
  'verify-evidence': ['--key', '--checkpoint-key', '--witness', '--quorum', '--json'],
  demo: ['--once'],
  'origins import': ['--data'],
  'origins show': ['--data', '--json'],
  'origins lookup': ['--data', '--json'],
  jurisdiction: ['--data', '--since', '--format'],
  stats: ['--data', '--by', '--source', '--country', '--since', '--json'],
  'mail send': ['--data', '--day', '--subscriber', '--dry-run'],
  'requests list': ['--data', '--status', '--json'],
  'requests accept': ['--data', '--note'],
  'requests reject': ['--data', '--note'],
  monthly: ['--data', '--month', '--html', '--json'],
};

const program = buildProgram(new Session({ out: () => undefined, err: () => undefined }));
const commands: Command[] = [];
forEachCommand(program, (c) => void (c !== program && commands.push(c)));
const path = (c: Command) => commandPath(c).replace(/^spamx /, '');
const leaves = commands.filter((c) => c.commands.length === 0);

describe('spamx command line', () => {
  it('defines exactly the commands and flags listed here', () => {
    expect(leaves.map(path).sort()).toEqual(Object.keys(FLAGS).sort());
    for (const c of leaves) expect(c.options.map((o) => o.long).sort(), path(c)).toEqual([...FLAGS[path(c)]!].sort());
  });

  it.each(commands.map((c) => [path(c), c] as const))('%s --help and help %s exit 0 and name every flag and sub-command', async (name, c) => {
    const words = name.split(' ');
    const help = await run(...words, '--help');
    expect(help.code, help.err).toBe(0);
    expect(help.out).toContain(`Usage: spamx ${name} `);
    const usage = help.out.slice(0, help.out.indexOf('\n\n'));
    for (const flag of FLAGS[name] ?? []) {
      expect(usage, `${name} usage names ${flag}`).toMatch(new RegExp(`${flag}\\b`));
      expect(help.out, `${name} help describes ${flag}`).toMatch(new RegExp(`^  ${flag}\\b`, 'm'));
    }
    for (const sub of c.commands) expect(help.out).toMatch(new RegExp(`^  ${sub.name()}\\b`, 'm'));
    expect(await run('help', ...words)).toEqual(help);
  });

  it.each(leaves.map((c) => [path(c), c] as const))('%s with an unknown flag exits 2 with its usage line', async (name, c) => {
    const r = await run(...name.split(' '), '--no-such-flag');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain(`spamx ${name}: unknown option '--no-such-flag'`);
    expect(r.err).toContain(usageLine(c));
  });

  it('prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) expect(await run(flag)).toEqual({ code: 0, out: `${version}\n`, err: '' });
  });

  it('lists every command in the program help; with no command prints it and exits 2', async () => {
    const help = await run('help');
    expect(help.code).toBe(0);
    for (const name of Object.keys(FLAGS)) expect(help.out).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    expect(await run('--help')).toEqual(help);
    expect(await run()).toEqual({ ...help, code: 2 });
  });

  it('exits 2 on an unknown command, a missing or extra argument, a missing value or --data', async () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /^spamx: unknown command 'frobnicate'\nUsage: spamx COMMAND/],
      [['help', 'frobnicate'], /^spamx: unknown command 'frobnicate'/],
      [['peer', 'frob'], /^spamx peer: unknown command 'frob'/],
      [['peer'], /^Usage: spamx peer add\|list\|remove\|unfreeze/],
      [['lookup', '--data', '/nonexistent'], /^spamx lookup: missing required argument 'IP'\nUsage: spamx lookup --data DIR/],
      [['lookup', '--data', '/nonexistent', '1.2.3.4', '5.6.7.8'], /^spamx lookup: too many arguments/],
      [['status', '--data'], /^spamx status: option '--data <DIR>' argument missing/],
    ];
    for (const [argv, message] of cases) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err, argv.join(' ')).toMatch(message);
    }
    const before = process.env.SPAMX_DATA;
    delete process.env.SPAMX_DATA;
    try {
      const r = await run('status');
      expect(r).toEqual({ code: 2, out: '', err: `spamx status: --data DIR is required (or set SPAMX_DATA)\n${usageLine(commands.find((c) => path(c) === 'status')!)}\n` });
    } finally {
      if (before !== undefined) process.env.SPAMX_DATA = before;
    }
  });

  it('reads a key id beginning with "-" as the KID of key revoke, not as options', () => {
    const kid = `-${'A'.repeat(42)}`;
    expect(normaliseArgv(['key', 'revoke', '--data', 'd', kid, '--after-seq', '3'])).toEqual(['key', 'revoke', '--data', 'd', '--after-seq', '3', '--', kid]);
    expect(normaliseArgv(['key', 'revoke', '--data', kid, 'KID'])).toEqual(['key', 'revoke', '--data', kid, 'KID']);
    expect(normaliseArgv(['status', kid])).toEqual(['status', kid]);
  });
});
