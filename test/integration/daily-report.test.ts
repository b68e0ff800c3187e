import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodePaths } from '../../src/config/paths.js';
import { SpamxNode } from '../../src/daemon.js';
import { utcDay } from '../../src/serve/mail/daily-report.js';
import { MailReports } from '../../src/serve/mail/mail-reports.js';
import { mailReportsOfDay, type MailReportRow } from '../../src/store/mail-report-store.js';
import { openReadOnlyStore } from '../../src/store/open-store.js';
import { addSubscriber, listSubscribers } from '../../src/store/subscriber-store.js';
import { initTestNode } from '../helpers/nodes.js';
import { runCli, spawnServe, type ServeProcess } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { freePort } from '../helpers/free-port.js';

/**
 * The daily report mailed to scoped subscribers (src/serve/mail/), delivered to a real SMTP
 * server: Postfix's smtp-sink, which writes each message it takes to a file. A real `spamx
 * serve` retries while the relay is down and sends the previous day's report once it is up;
 * `spamx mail send --day` sends the day so far, whose text and CSV attachment are checked
 * against what the test computes from the origin data itself. With a hand-driven clock, removed
 * listings, the backoff between attempts, and giving up.
 */
const DAY = 86_400_000;
const SINK = '/usr/sbin/smtp-sink';
const tmp = tempDir();

// ---- The origin data, read plainly (the default packages' IPv4 CSVs) -------------------------

interface Row {
  readonly start: number;
  readonly end: number;
  readonly value: string;
}

const v4 = (text: string) => text.split('.').reduce((n, part) => n * 256 + Number(part), 0);
const v4Text = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
const v4Range = (prefix: string): [number, number] => {
  const [address, len = '32'] = prefix.split('/');
  return [v4(address!), v4(address!) + 2 ** (32 - Number(len)) - 1];
};

/** `start,end,value,…` rows of a CSV of one of the packages (values: the country, the AS number). */
function csvRows(file: string): Row[] {
  return readFileSync(createRequire(import.meta.url).resolve(file), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [start, end, value] = line.split(',', 3);
      return { start: v4(start!), end: v4(end!), value: value! };
    });
}

const countries = csvRows('@ip-location-db/asn-country/asn-country-ipv4.csv');
const asns = csvRows('@ip-location-db/asn/asn-ipv4.csv');

/** The row holding `address`, or the first address after it that some row holds (for the boundary). */
function rowAt(rows: readonly Row[], address: number): { row?: Row; nextStart: number } {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid]!.end < address) lo = mid + 1;
    else hi = mid;
  }
  const r = rows[lo];
  if (r && r.start <= address) return { row: r, nextStart: r.end + 1 };
  return { nextStart: r ? r.start : 2 ** 32 };
}

/** Smallest CIDR cover of [start, end]. */
function cidrs(start: number, end: number): string[] {
  const out: string[] = [];
  for (let at = start; at <= end; ) {
    let size = 1;
    while (at % (size * 2) === 0 && at + size * 2 - 1 <= end) size *= 2;
    out.push(`${v4Text(at)}/${32 - Math.log2(size)}`);
    at += size;
  }
  return out;
}

interface Piece {
  readonly prefix: string;
  readonly country: string;
  readonly asn: string;
}

/**
 * A listed prefix as a scoped key sees it (PROTOCOL "Additions: origins"): its addresses inside
 * the scope (countries, or within prefixes), cut where the registered country or AS changes,
 * as CIDRs each of one origin.
 */
function scopedPieces(prefix: string, scope: { countries: string[]; within: string[] }): Piece[] {
  const [a, b] = v4Range(prefix);
  const inScope = (x: number) => scope.countries.includes(rowAt(countries, x).row?.value ?? '') || scope.within.some((w) => v4Range(w)[0] <= x && x <= v4Range(w)[1]);
  const runs: { start: number; end: number; country: string; asn: string }[] = [];
  for (let at = a; at <= b; ) {
    const c = rowAt(countries, at);
    const s = rowAt(asns, at);
    let end = Math.min(b, c.nextStart - 1, s.nextStart - 1);
    for (const w of scope.within) {
      const [ws, we] = v4Range(w);
      if (ws > at && ws <= end) end = ws - 1;
      if (we >= at && we < end) end = we;
    }
    if (inScope(at)) {
      const last = runs.at(-1);
      const country = c.row?.value ?? '';
      const asn = s.row?.value ?? '';
      if (last && last.end + 1 === at && last.country === country && last.asn === asn) last.end = end;
      else runs.push({ start: at, end, country, asn });
    }
    at = end + 1;
  }
  return runs.flatMap((r) => cidrs(r.start, r.end).map((p) => ({ prefix: p, country: r.country, asn: r.asn })));
}

// ---- A real SMTP server: Postfix's smtp-sink, each message dumped to a file ------------------


interface Sink {
  readonly dir: string;
  stop(): Promise<void>;
}

/** smtp-sink on 127.0.0.1:`port`, dumping each message into a directory of its own; resolves once it accepts connections. */
async function startSink(port: number): Promise<Sink> {
  // As root, smtp-sink must drop to another user (-u), which then writes the dumps.
  const dir = mkdtempSync(join(tmpdir(), 'spamx-smtp-sink-'));
  chmodSync(dir, 0o777);
  const asRoot = process.getuid?.() === 0;
  const child: ChildProcess = spawn(SINK, [...(asRoot ? ['-u', 'nobody'] : []), '-d', `${dir}/%Y%m%d%H%M%S.`, `127.0.0.1:${port}`, '16'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(`smtp-sink to listen on port ${port}`, async () => {
      if (child.exitCode !== null) throw new Error(`smtp-sink exited ${child.exitCode}: ${stderr}`);
      return new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.destroy();
          resolve(true);
        });
        socket.on('error', () => resolve(false));
      });
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { dir, stop };
}

interface Mail {
  readonly headers: Map<string, string>;
  readonly text: string;
  readonly attachment: { readonly filename: string; readonly type: string; readonly body: string };
}

/** The message in one dump file, once it is complete: headers, the text part, the attachment. */
function parseMail(raw: string): Mail | undefined {
  const lines = raw.replace(/\r\n/g, '\n');
  const split = lines.indexOf('\n\n');
  if (split < 0) return undefined;
  const headers = headerMap(lines.slice(0, split));
  const boundary = /boundary="?([^";]+)"?/.exec(headers.get('content-type') ?? '')?.[1];
  if (!boundary || !lines.includes(`--${boundary}--`)) return undefined;
  const parts = lines
    .slice(split + 2)
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((part) => {
      const end = part.indexOf('\n\n');
      const h = headerMap(part.slice(1, end));
      const body = part.slice(end + 2).replace(/\n$/, '');
      const encoding = h.get('content-transfer-encoding')?.toLowerCase();
      const decoded =
        encoding === 'base64'
          ? Buffer.from(body.replace(/\s/g, ''), 'base64').toString('utf8')
          : encoding === 'quoted-printable'
            ? Buffer.from(body.replace(/=\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8')
            : body;
      return { headers: h, body: decoded };
    });
  const text = parts.find((p) => p.headers.get('content-type')?.startsWith('text/plain'));
  const file = parts.find((p) => /attachment/.test(p.headers.get('content-disposition') ?? ''));
  if (!text || !file) return undefined;
  const filename = /filename="?([^";]+)"?/.exec(file.headers.get('content-disposition')!)?.[1] ?? '';
  return { headers, text: text.body, attachment: { filename, type: file.headers.get('content-type')!, body: file.body } };
}

function headerMap(block: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of block.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) map.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return map;
}

/** Every complete message the sink has taken so far. */
function received(sink: Sink): Mail[] {
  return readdirSync(sink.dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => parseMail(readFileSync(join(e.parentPath, e.name), 'utf8')))
    .filter((m): m is Mail => m !== undefined);
}

/** The abuse-desk CSV's rows as objects by column name. */
function csvRecords(text: string): Record<string, string>[] {
  const [header, ...rows] = text.trimEnd().split('\n');
  const names = header!.split(',');
  return rows.map((row) => Object.fromEntries(row.split(',').map((v, i) => [names[i]!, v])));
}

function storeRows(dir: string, day: string): Map<number, MailReportRow> {
  const store = openReadOnlyStore(nodePaths(dir).database);
  try {
    return mailReportsOfDay(store, day);
  } finally {
    store.close();
  }
}

// ---- The listings -------------------------------------------------------------------------

/** The key's scope: Hong Kong's registrations, and one Japanese /24 (61.8.32.0/19 is JP). */
const SCOPE = { countries: ['HK'], within: ['61.8.32.0/24'] };
/**
 * Inside: 61.4.12.7 (61.4.0.0-61.4.63.255 HK, AS10132), 61.18.7.0/24 (61.18.0.0/16 HK, AS9908),
 * 61.8.32.10 (within). Straddling: 61.4.96.0/19, whose 61.4.96.0/20 is MY and 61.4.112.0/20 HK.
 */
const IN_SCOPE = ['61.4.12.7', '61.18.7.0/24', '61.8.32.10', '61.4.96.0/19'];
/** Outside: 61.4.64.9 (MM), 61.4.130.0/24 (JP, not the within /24), 1.0.1.7 (CN), 61.8.33.10 (JP, next /24). */
const OUTSIDE = ['61.4.64.9', '61.4.130.0/24', '1.0.1.7', '61.8.33.10'];
const withLength = (p: string) => (p.includes('/') ? p : `${p}/32`);

describe('daily reports from `spamx serve` to a real relay', () => {
  let dir: string;
  let port: number;
  let serve: ServeProcess | undefined;
  let sink: Sink | undefined;
  const today = utcDay(Date.now());
  const yesterday = utcDay(Date.now() - DAY);
  const expected = IN_SCOPE.flatMap((p) => scopedPieces(withLength(p), SCOPE));

  beforeAll(async () => {
    // The relay's port, with nothing listening on it yet: the relay is down.
    port = await freePort();
    dir = await initTestNode(tmp.path, {
      id: 'jp-dekyo',
      config: {
        mail: {
          smtp: { host: '127.0.0.1', port },
          from: 'spamx-reports@jp-dekyo.example',
          schedule: '* * * * * *',
          retryBaseMs: 500,
          timeoutMs: 10_000,
        },
      },
    });
    const cli = async (args: string[], input?: string) => {
      const r = await runCli([...args, '--data', dir], input);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      return r;
    };
    await cli(['report', '-'], `${[...IN_SCOPE, ...OUTSIDE].join('\n')}\n`);
    await cli(['publish']);
    await cli(['subscriber', 'add', 'isp-hk', '--scope', 'country:HK', '--scope', '61.8.32.0/24', '--contact', 'abuse@isp-hk.example']);
    // Each of these gets no report: no scope, no contact, revoked.
    await cli(['subscriber', 'add', 'isp-all', '--contact', 'abuse@isp-all.example']);
    await cli(['subscriber', 'add', 'isp-quiet', '--scope', 'country:HK']);
    await cli(['subscriber', 'add', 'isp-gone', '--scope', 'country:HK', '--contact', 'abuse@isp-gone.example']);
    await cli(['subscriber', 'revoke', 'isp-gone']);
    serve = await spawnServe(dir);
  });

  afterAll(async () => {
    await serve?.stop();
    await sink?.stop();
  });

  const hkId = () => {
    const store = openReadOnlyStore(nodePaths(dir).database);
    try {
      return listSubscribers(store).find((s) => s.name === 'isp-hk')!.id;
    } finally {
      store.close();
    }
  };

  it('retries the previous day while the relay is down, logging and keeping each failure; sends it once the relay is up', async () => {
    const failure = await waitFor('a failed send logged', () => serve!.lines().find((l) => l.msg === 'mail report not sent, will retry' && l.subscriber === 'isp-hk'));
    expect(failure).toMatchObject({ day: yesterday, to: 'abuse@isp-hk.example', attempt: 1 });
    expect(String(failure.err)).toMatch(/ECONNREFUSED/);
    const failed = storeRows(dir, yesterday).get(hkId())!;
    expect(failed.sentAt).toBeNull();
    expect(failed.attempts).toBeGreaterThanOrEqual(1);
    expect(failed.lastError).toMatch(/ECONNREFUSED/);
    expect(failed.nextAttemptAt).toEqual(expect.any(Number));

    sink = await startSink(port);
    const mail = await waitFor('the report delivered', () => received(sink!).find((m) => m.headers.get('subject')?.includes(yesterday)));
    const sent = await waitFor('the report recorded as sent', () => storeRows(dir, yesterday).get(hkId())?.sentAt != null && storeRows(dir, yesterday).get(hkId()));
    expect(sent.attempts).toBeGreaterThanOrEqual(2);
    expect(mail.headers.get('to')).toBe('abuse@isp-hk.example');
    // Yesterday nothing was listed yet: everything is new today. The attachment is the list now.
    expect(mail.text).toMatch(/^New: +0$/m);
    expect(mail.text).toMatch(/^Still listed: +0$/m);
    expect(new Set(csvRecords(mail.attachment.body).map((r) => r.prefix))).toEqual(new Set(expected.map((p) => p.prefix)));

    // Sent once: three more runs of the per-second schedule send nothing more.
    const runs = () => serve!.lines().filter((l) => l.msg === 'mail reports run').length;
    const after = runs();
    await waitFor('three more runs', () => runs() >= after + 3);
    expect(received(sink).filter((m) => m.headers.get('subject')?.includes(yesterday))).toHaveLength(1);
    expect(serve!.lines().filter((l) => l.msg === 'mail report sent')).toHaveLength(1);
    // Only the scoped subscriber with a contact got a report.
    expect(received(sink).map((m) => m.headers.get('to'))).toEqual(['abuse@isp-hk.example']);
  });

  it('`spamx mail send --day` today: the scope\'s new listings by name, the others not, and the abuse-desk CSV of the scope', async () => {
    sink ??= await startSink(port);
    const r = await runCli(['mail', 'send', '--data', dir, '--day', today]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^isp-hk: ${today} report sent to abuse@isp-hk\\.example \\(spamx-jp-dekyo-isp-hk-${today}\\.csv, \\d+ bytes\\)$`, 'm'));
    const mail = await waitFor('the report of today', () => received(sink!).find((m) => m.headers.get('subject')?.includes(today)));

    expect(mail.headers.get('from')).toBe('spamx-reports@jp-dekyo.example');
    expect(mail.headers.get('to')).toBe('abuse@isp-hk.example');
    expect(mail.headers.get('subject')).toBe(`[spamx jp-dekyo] ${today}: ${expected.length} new, 0 still listed, 0 removed in your scope`);
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail.headers.get('content-type')).toMatch(/^multipart\/mixed/);
    expect(mail.headers.get('date')).toEqual(expect.any(String));
    expect(mail.headers.get('message-id')).toMatch(/^<.+@.+>$/);

    expect(mail.text).toMatch(/scope country:HK 61\.8\.32\.0\/24/);
    expect(mail.text).toMatch(new RegExp(`^New: +${expected.length}$`, 'm'));
    expect(mail.text).toMatch(/^Removed: +0$/m);
    for (const p of expected) expect(mail.text).toContain(`  ${p.prefix}  AS${p.asn} ${p.country}  listed by jp-dekyo`);
    // The straddling /19 is named by its part in Hong Kong only.
    expect(expected.map((p) => p.prefix)).toContain('61.4.112.0/20');
    for (const p of [...OUTSIDE.map(withLength), '61.4.96.0/19', '61.4.96.0/20']) expect(mail.text).not.toContain(p);

    expect(mail.attachment.filename).toBe(`spamx-jp-dekyo-isp-hk-${today}.csv`);
    expect(mail.attachment.type).toMatch(/^text\/csv/);
    expect(mail.attachment.body.split('\n')[0]).toBe('timestamp,prefix,asn,country,sources,first_seen,last_seen,reports,category,batch_url');
    const rows = csvRecords(mail.attachment.body);
    expect(rows.map((r): Piece => ({ prefix: r.prefix!, country: r.country!, asn: r.asn! })).sort((x, y) => x.prefix.localeCompare(y.prefix))).toEqual(
      [...expected].sort((x, y) => x.prefix.localeCompare(y.prefix)),
    );
    for (const row of rows) {
      expect(row.sources).toBe('jp-dekyo');
      expect(row.batch_url).toMatch(/\/v1\/feeds\/jp-dekyo\/batches\/\d+$/);
    }
    // Today is not over: the preview is not recorded, and the node sends the whole day tomorrow.
    expect(storeRows(dir, today).size).toBe(0);
  });

  it('`spamx mail send --dry-run` prints the report and sends nothing; a subscriber without a report is refused by name', async () => {
    sink ??= await startSink(port);
    const before = received(sink).length;
    const r = await runCli(['mail', 'send', '--data', dir, '--day', today, '--subscriber', 'isp-hk', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('To: abuse@isp-hk.example\n');
    expect(r.stdout).toContain(`Subject: [spamx jp-dekyo] ${today}: ${expected.length} new`);
    expect(r.stdout).toContain('  61.4.112.0/20  AS');
    const quiet = await runCli(['mail', 'send', '--data', dir, '--subscriber', 'isp-quiet', '--dry-run']);
    expect(quiet.code).toBe(1);
    expect(quiet.stderr).toMatch(/isp-quiet gets no report: it has no contact/);
    const bad = await runCli(['mail', 'send', '--data', dir, '--day', '2026-02-30']);
    expect(bad.code).toBe(2);
    expect(received(sink)).toHaveLength(before);
  });
});

describe('daily reports with a hand-driven clock', () => {
  const DAY1 = Date.parse('2026-11-01T10:00:00Z');
  let now = DAY1;
  let node: SpamxNode;
  let dir: string;
  let port: number;
  let sink: Sink | undefined;
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });

  /**
   * A MailReports of its own over the node's parts, with its own mail settings (the node's config
   * sends nothing), and the hand-driven clock, or one that moves on from it with real time.
   */
  const reports = (maxAttempts: number, mail: { port?: number; retryBaseMs?: number; timeoutMs?: number; moving?: boolean } = {}) => {
    const started = Date.now();
    const from = now;
    return new MailReports({
      config: {
        ...node.config,
        mail: { ...node.config.mail, smtp: { host: '127.0.0.1', port: mail.port ?? port, secure: false }, schedule: '0 0 1 1 *', maxAttempts, retryBaseMs: mail.retryBaseMs ?? 60_000, timeoutMs: mail.timeoutMs ?? 10_000 },
      },
      store: node.store,
      log,
      clock: mail.moving ? () => from + (Date.now() - started) : () => now,
      origins: () => node.ctx.origins.current(),
      publicUrl: () => node.url,
      project: () => node.project(),
    });
  };
  const hkRow = (day: string) => mailReportsOfDay(node.store, day).get(listSubscribers(node.store)[0]!.id);

  async function list(text: string, delist: string[] = []): Promise<void> {
    if (text) expect(node.reportText(text).refused).toEqual([]);
    if (delist.length > 0) expect(node.delist(delist, 'cleaned').refused).toEqual([]);
    await node.publish();
    node.project();
  }

  beforeAll(async () => {
    port = await freePort();
    dir = await initTestNode(tmp.path, { id: 'jp-hand' });
    node = await SpamxNode.create({ dataDir: dir, clock: () => now, logger: pino({ level: 'silent' }) });
    addSubscriber(node.store, 'isp-hk', now, { scope: { countries: ['HK'], asns: [], within: [] }, contact: 'abuse@isp-hk.example' });
    // Day 1: three listings in Hong Kong, one in Myanmar.
    await list('61.4.12.7\n61.18.7.0/24\n61.10.3.0/24\n61.4.64.9\n');
    // Day 2: one Hong Kong listing and the Myanmar one removed, one of each listed.
    now = DAY1 + DAY;
    await list('61.10.9.9\n61.4.65.1\n', ['61.18.7.0/24', '61.4.64.9']);
  });

  afterAll(async () => {
    await node?.destroy();
    await sink?.stop();
  });

  it('gives a report up after maxAttempts failures, logging each', async () => {
    // Day 2, 00:15: day 1's report, with the relay down and two attempts allowed.
    const twice = reports(2);
    now = Date.parse('2026-11-02T00:15:00Z');
    const [first] = await twice.runOnce(now);
    expect(first).toMatchObject({ subscriber: 'isp-hk', day: '2026-11-01' });
    expect(first!.error).toMatch(/ECONNREFUSED/);
    const row = hkRow('2026-11-01')!;
    expect(await twice.runOnce(row.nextAttemptAt! - 1)).toEqual([]);
    expect((await twice.runOnce(row.nextAttemptAt!))[0]!.error).toMatch(/ECONNREFUSED/);
    expect(hkRow('2026-11-01')).toMatchObject({ attempts: 2, sentAt: null, nextAttemptAt: null });
    expect(await twice.runOnce(now + DAY / 2)).toEqual([]);
    expect(lines.filter((l) => l.msg === 'mail report not sent, will retry')).toHaveLength(1);
    expect(lines.find((l) => l.msg === 'mail report not sent, given up')).toMatchObject({ subscriber: 'isp-hk', day: '2026-11-01', attempt: 2, level: 50 });
  });

  it('sends the day\'s new, still-listed and removed listings once the relay takes it, after the backoff', async () => {
    const thrice = reports(3);
    now = Date.parse('2026-11-03T00:15:00Z');
    expect((await thrice.runOnce(now))[0]!.error).toMatch(/ECONNREFUSED/);
    const failed = hkRow('2026-11-02')!;
    // Equal jitter over retryBaseMs for the first retry: 30 to 60 seconds.
    expect(failed.nextAttemptAt! - now).toBeGreaterThanOrEqual(30_000);
    expect(failed.nextAttemptAt! - now).toBeLessThanOrEqual(60_000);
    expect(failed).toMatchObject({ attempts: 1, sentAt: null });
    expect(failed.lastError).toMatch(/ECONNREFUSED/);

    sink = await startSink(port);
    expect(await thrice.runOnce(now + 20_000)).toEqual([]); // not yet due
    now = failed.nextAttemptAt!;
    const [sent] = await thrice.runOnce(now);
    expect(sent?.error).toBeUndefined();
    expect(hkRow('2026-11-02')).toMatchObject({ attempts: 2, sentAt: now, nextAttemptAt: null });
    expect(await thrice.runOnce(now + 60_000)).toEqual([]);

    const mails = await waitFor('the report delivered', () => received(sink!).length > 0 && received(sink!));
    expect(mails).toHaveLength(1);
    const mail = mails[0]!;
    expect(mail.headers.get('subject')).toBe('[spamx jp-hand] 2026-11-02: 1 new, 2 still listed, 1 removed in your scope');
    expect(mail.text).toContain('New listings (1):\n  61.10.9.9/32  AS9908 HK  listed by jp-hand\n');
    expect(mail.text).toContain('Removed listings (1):\n  61.18.7.0/24  AS9908 HK  listed by jp-hand\n');
    expect(mail.text).toMatch(/^Listed at the end of the day: 3$/m);
    for (const p of ['61.4.64.9', '61.4.65.1']) expect(mail.text).not.toContain(p);
    expect(csvRecords(mail.attachment.body).map((r) => r.prefix).sort()).toEqual(['61.10.3.0/24', '61.10.9.9/32', '61.4.12.7/32']);
  });

  it('retries on a timer of its own between the ticks of a daily schedule, and sends once the relay is up', async () => {
    const down = await freePort();
    now = Date.parse('2026-11-04T00:15:00Z');
    const r = reports(8, { port: down, retryBaseMs: 200, moving: true });
    let up: Sink | undefined;
    try {
      r.start();
      // The schedule is once a year: only the retry timer runs it again.
      await waitFor('a second failed attempt', () => lines.find((l) => l.msg === 'mail report not sent, will retry' && l.day === '2026-11-03' && l.attempt === 2));
      up = await startSink(down);
      const mail = await waitFor('the report delivered', () => received(up!).find((m) => m.headers.get('subject')?.includes('2026-11-03')));
      expect(mail.headers.get('subject')).toBe('[spamx jp-hand] 2026-11-03: 0 new, 3 still listed, 0 removed in your scope');
      await waitFor('the report recorded as sent', () => hkRow('2026-11-03')?.sentAt != null);
    } finally {
      await r.stop();
      await up?.stop();
    }
  });

  it('bounds a send by timeoutMs; stop() cuts a send in flight short and does not count it', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => void sockets.add(socket)); // takes connections, never greets
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port: mute } = silent.address() as { port: number };
    try {
      now = Date.parse('2026-11-05T00:15:00Z');
      const waiting = reports(8, { port: mute, timeoutMs: 60_000, moving: true });
      waiting.start();
      await waitFor('the relay connection', () => sockets.size > 0);
      const stopping = Date.now();
      await waiting.stop();
      expect(Date.now() - stopping).toBeLessThan(10_000);
      expect(hkRow('2026-11-04')).toBeUndefined();

      const bounded = reports(8, { port: mute, timeoutMs: 500 });
      const began = Date.now();
      const [outcome] = await bounded.runOnce(now);
      expect(Date.now() - began).toBeLessThan(10_000);
      expect(outcome!.error).toMatch(/ETIMEDOUT|within 500 ms/);
      expect(hkRow('2026-11-04')).toMatchObject({ attempts: 1, sentAt: null });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

afterAll(() => tmp.cleanup());
