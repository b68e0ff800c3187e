import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initTestNode } from '../helpers/nodes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { prng, publicAddresses } from './bench-data.js';
import { measureProcess, medianMeasured, type Measured } from './measure-process.js';

/** The spamx measured; SPAMX_BENCH_BIN names another entry point (a build of one's own while src/ does not compile). */
const BIN = process.env.SPAMX_BENCH_BIN ?? fileURLToPath(new URL('../../src/cli/bin.mjs', import.meta.url));
const PRINT_MAX_RSS = fileURLToPath(new URL('./print-max-rss.mjs', import.meta.url));
const MAILPARSER = createRequire(import.meta.url).resolve('mailparser');
const MESSAGES = Number(process.env.BENCH_MAIL_MESSAGES ?? 100_000);
/** Distinct origins: spam comes from fewer addresses than it has messages. */
const ORIGINS = Math.max(1, Math.floor(MESSAGES / 4));

/**
 * The baseline: every message of the Maildir read, and its header block parsed by mailparser
 * alone (simpleParser, as spamx parses it), nothing done with the result. One process, files read
 * synchronously in directory order, as spamx reads them.
 */
const HEADER_READER = `
const { readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const { simpleParser } = require(process.argv[2]);
const options = { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true };
(async () => {
  let n = 0, received = 0;
  for (const sub of ['new', 'cur']) {
    const dir = join(process.argv[1], sub);
    for (const name of readdirSync(dir)) {
      const bytes = readFileSync(join(dir, name));
      const end = bytes.indexOf('\\r\\n\\r\\n');
      const parsed = await simpleParser(end < 0 ? bytes : bytes.subarray(0, end + 4), options);
      received += parsed.headerLines.filter((l) => l.key === 'received').length;
      n++;
    }
  }
  console.log(n, received);
})();
`;

/**
 * Spam samples in, origins out (issue 19): a Maildir of MESSAGES messages of about 10 KB (four
 * Received lines each: our MTA from loopback, our trusted edge, the origin, a forged one below
 * it), generated here. `spamx report --mail DIR --dry-run` and the same queued into a fresh node,
 * each a whole process: messages a second and peak RSS (VmHWM, print-max-rss.mjs), against the
 * same messages' headers read with mailparser alone in the same run. Targets: at least 2,000
 * messages a second, peak RSS under 200 MB, at least 0.5x the baseline's rate. Medians of `runs`.
 */
export async function mailBench(runs: number): Promise<void> {
  const tmp = tempDir('spamx-bench-mail-');
  try {
    const maildir = join(tmp.path, 'Maildir');
    const written = writeMaildir(maildir);
    const results = { baseline: [] as Measured[], dryRun: [] as Measured[], queued: [] as Measured[] };
    for (let run = 0; run < runs; run++) {
      const dir = await initTestNode(tmp.path, { id: `bench-mail-${run}`, config: { mail: { trustedRelays: ['36.5.5.0/24'] } } as never });
      results.baseline.push(measureProcess([process.execPath, '--import', PRINT_MAX_RSS, '-e', HEADER_READER, maildir, MAILPARSER], (out) => out === `${MESSAGES} ${MESSAGES * 4}\n`));
      const ok = (out: string) => {
        const s = JSON.parse(out) as { messages: number; queued: number };
        return s.messages === MESSAGES && s.queued === MESSAGES;
      };
      results.dryRun.push(measureProcess([process.execPath, '--import', PRINT_MAX_RSS, BIN, 'report', '--data', dir, '--mail', maildir, '--dry-run', '--json'], ok));
      results.queued.push(measureProcess([process.execPath, '--import', PRINT_MAX_RSS, BIN, 'report', '--data', dir, '--mail', maildir, '--json'], ok));
    }
    const base = medianMeasured(results.baseline);
    const rate = (s: Measured) => MESSAGES / s.seconds;
    console.log(
      `mail reports, a Maildir of ${fmt(MESSAGES)} messages (${(written / MESSAGES / 1024).toFixed(1)} KB each, ${fmt(ORIGINS)} origins): ` +
        `baseline (mailparser on each header block) ${fmt(rate(base))} messages/s, peak RSS ${base.rssMb.toFixed(0)} MB; medians of ${runs}`,
    );
    for (const [name, label] of [
      ['dryRun', 'report --mail --dry-run'],
      ['queued', 'report --mail (queued)'],
    ] as const) {
      const s = medianMeasured(results[name]);
      console.log(
        `mail reports: spamx ${label} ${s.seconds.toFixed(2)} s, ${fmt(rate(s))} messages/s (${(rate(s) / rate(base)).toFixed(2)}x the baseline; targets >= 2,000/s and >= 0.5x), ` +
          `peak RSS ${s.rssMb.toFixed(0)} MB (target < 200 MB)`,
      );
    }
  } finally {
    tmp.cleanup();
  }
}

/** Writes the Maildir (new/); returns the bytes written. */
function writeMaildir(maildir: string): number {
  for (const sub of ['new', 'cur', 'tmp']) mkdirSync(join(maildir, sub), { recursive: true });
  const origins = publicAddresses(ORIGINS, 19);
  const forged = publicAddresses(64, 91);
  const next = prng(7);
  const words = ['offer', 'limited', 'pharmacy', 'winner', 'account', 'verify', 'discount', 'free', 'urgent', 'invoice', 'shipping', 'click'];
  const paragraph = Array.from({ length: 1200 }, (_, i) => words[(i * 7) % words.length]).join(' ').replace(/(.{72}) /g, '$1\r\n');
  const body = `${paragraph}\r\n`.slice(0, 9000);
  let total = 0;
  const base = Date.UTC(2026, 11, 1);
  for (let i = 0; i < MESSAGES; i++) {
    const origin = origins[Math.floor(next() * origins.length)]!;
    const at = new Date(base + i * 6000).toUTCString().replace('GMT', '+0000');
    const id = `${(1_796_000_000 + i).toString()}.M${i}P1.bench`;
    const text = [
      `Return-Path: <bounce-${i}@spam.example>`,
      `Received: from localhost (localhost [127.0.0.1])\r\n\tby monitor.centre.example (Postfix) with ESMTP id A${i}\r\n\tfor <trap@centre.example>; ${at}`,
      `Received: from edge.centre.example (edge.centre.example [36.5.5.9])\r\n\tby monitor.centre.example (Postfix) with ESMTPS id B${i}; ${at}`,
      `Received: from mail${i % 97}.spam.example (unknown [${origin}])\r\n\tby edge.centre.example (Postfix) with ESMTP id C${i}\r\n\tfor <trap@centre.example>; ${at}`,
      `Received: from forged.example (forged.example [${forged[i % forged.length]}]) by mx.forged.example with SMTP id D${i}; ${at}`,
      `From: "Offers" <offers${i % 13}@spam.example>`,
      'To: trap@centre.example',
      `Subject: Limited offer number ${i}`,
      `Date: ${at}`,
      `Message-ID: <${i}.bench@spam.example>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=us-ascii',
      'Content-Transfer-Encoding: 7bit',
      '',
      body,
    ].join('\r\n');
    writeFileSync(join(maildir, 'new', id), text);
    total += text.length;
  }
  return total;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

// `npx tsx test/bench/mail-bench.ts` runs it alone (BENCH_RUNS, default 3; BENCH_MAIL_MESSAGES,
// default 100,000); it does not build first as `npm run bench` does: run `npm run build` before,
// or the sources run through tsx.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await mailBench(Number(process.env.BENCH_RUNS ?? 3));
}
