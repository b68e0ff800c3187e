import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/free-port.js';
import { addressesIn, countryOf, v4 } from '../helpers/origin-rows.js';
import { runCli, spawnServe, type ServeProcess } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * Issue 19, spam in and origins out: messages relayed by a real Postfix (started here on
 * loopback, delivering into a Maildir) with upstream Received lines of the test's own, abuse
 * reports (ARF, X-ARF), and broken input, through `spamx report --mail` and
 * `POST /v1/reports/mail`; and a federation check that mail reported at one centre reaches a
 * partner's jurisdiction list.
 */
const run = promisify(execFile);
const tmp = tempDir('spamx-mail-');
const CN = addressesIn('CN', 12, 30);
const KR = addressesIn('KR', 2, 30);
const V6 = '2400:cb00:2048:1::681b:9c22';
/** The centre's own edge relay, and a name under which its relays resolve. */
const TRUSTED = ['36.5.5.0/24', 'edge.centre.example'];
const DATE = 'Mon, 7 Dec 2026 01:02:03 +0000';
const SEEN = '2026-12-07T01:02:03Z';

interface Centre {
  readonly dir: string;
  readonly serve: ServeProcess;
  readonly token: string;
}
const centres = new Map<string, Centre>();
let postfix: { dir: string; port: number; child: ChildProcess; maildir: string } | undefined;

function message(received: string[], subject: string, extra = ''): string {
  return [...received.map((r) => `Received: ${r}`), 'From: "Win" <win@spam.example>', 'To: trap@trap.example', `Subject: ${subject}`, `Date: ${DATE}`, 'MIME-Version: 1.0', 'Content-Type: text/plain', extra, '', 'Buy now.', ''].filter((l, i, a) => l !== '' || i >= a.length - 3).join('\r\n');
}

const hop = (client: string, by = 'edge.centre.example') => `from spam.example (unknown [${client}])\r\n\tby ${by} (Postfix) with ESMTP id 4F2A; ${DATE}`;
const forged = (client: string) => `from forged.example (forged.example [${client}]) by mx.forged.example with ESMTP id 1; Mon, 7 Dec 2026 00:00:00 +0000`;
const edge = `from edge.centre.example (edge.centre.example [36.5.5.9]) by gw.centre.example (Postfix) with ESMTP id 9; ${DATE}`;

/** What the test sends through Postfix, each with the origin it must yield. */
const RELAYED: { name: string; received: string[]; origin: string }[] = [
  { name: 'one untrusted hop', received: [hop(CN[0]!)], origin: CN[0]! },
  { name: 'the same origin again', received: [hop(CN[0]!)], origin: CN[0]! },
  { name: 'trusted edge relay, forged lines below', received: [edge, hop(CN[1]!), forged(KR[0]!), forged(KR[1]!)], origin: CN[1]! },
  { name: 'Exim, a forged HELO literal', received: [`from [${CN[2]}] (helo=[10.0.0.1]) by edge.centre.example with esmtp (Exim 4.96) id 1kX; ${DATE}`], origin: CN[2]! },
  { name: 'qmail', received: [`from unknown (HELO ${KR[0]}) (${CN[3]}) by edge.centre.example with SMTP; 7 Dec 2026 01:02:03 -0000`], origin: CN[3]! },
  { name: 'Sendmail, IPv6', received: [`from helo.example (host.example.net [IPv6:${V6}]) by edge.centre.example (8.17.1/8.17.1) with ESMTP id 5; ${DATE}`], origin: V6 },
  { name: 'Exchange', received: [edge, `from mail.sender.example (${CN[4]}) by edge.centre.example (36.5.5.9) with Microsoft SMTP Server (TLS) id 15.1.2044.4; ${DATE}`], origin: CN[4]! },
];

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/**
 * A Postfix of the test's own: its config and queue in a temp dir, smtpd on 127.0.0.1:PORT, every
 * recipient of trap.example delivered by `virtual` into one Maildir. `start-fg` keeps master in
 * the foreground, a child of this test; `postfix stop` ends it in afterAll.
 */
async function startPostfix(): Promise<NonNullable<typeof postfix>> {
  const dir = join(tmp.path, 'postfix');
  const port = await freePort();
  for (const d of ['queue', 'data', 'mail']) mkdirSync(join(dir, d), { recursive: true });
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    // Postfix's daemons run as mail_owner and must reach their directories (mkdtemp makes 0700).
    chmodSync(tmp.path, 0o755);
    chmodSync(dir, 0o755);
    // master takes its lock in data_directory as mail_owner; virtual(8) writes as the mapped uid.
    const { stdout } = await run('id', ['-u', 'postfix']);
    chownSync(join(dir, 'data'), Number(stdout.trim()), -1);
    chownSync(join(dir, 'mail'), 65534, 65534);
  }
  const uid = asRoot ? 65534 : process.getuid!();
  writeFileSync(
    join(dir, 'main.cf'),
    [
      'compatibility_level = 3.6',
      `queue_directory = ${dir}/queue`,
      `data_directory = ${dir}/data`,
      'mail_owner = postfix',
      'myhostname = monitor.centre.example',
      'mydomain = centre.example',
      'mydestination =',
      'inet_interfaces = 127.0.0.1',
      'inet_protocols = ipv4',
      'mynetworks = 127.0.0.0/8',
      'alias_maps =',
      'alias_database =',
      'virtual_mailbox_domains = trap.example',
      `virtual_mailbox_base = ${dir}/mail`,
      'virtual_mailbox_maps = static:trap/',
      `virtual_uid_maps = static:${uid}`,
      `virtual_gid_maps = static:${uid}`,
      'virtual_minimum_uid = 1',
      `maillog_file = ${dir}/maillog`,
      `maillog_file_prefixes = ${dir}`,
      'disable_dns_lookups = yes',
      'smtp_dns_support_level = disabled',
      'smtpd_tls_security_level = none',
      'biff = no',
      // The samples include a 20 MB attachment elsewhere; relayed ones are small.
      'message_size_limit = 30000000',
      '',
    ].join('\n'),
  );
  // The system's master.cf, with smtpd on our port, no other inet service and no chroot.
  const master = readFileSync('/etc/postfix/master.cf', 'utf8')
    .split('\n')
    .flatMap((line) => {
      if (line === '' || line.startsWith('#') || /^\s/.test(line)) return [line];
      const f = line.split(/\s+/);
      if (f[1] === 'inet') {
        if (f[0] !== 'smtp') return [];
        f[0] = `127.0.0.1:${port}`;
      }
      if (f.length > 4) f[4] = 'n';
      return [f.join('  ')];
    })
    .join('\n');
  writeFileSync(join(dir, 'master.cf'), master);
  const child = spawn('postfix', ['-c', dir, 'start-fg'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const started = { dir, port, child, maildir: join(dir, 'mail', 'trap') };
  postfix = started;
  const state = await waitFor(`Postfix to listen on 127.0.0.1:${port}`, async () => (child.exitCode !== null ? 'exited' : (await listening(port)) && 'listening'), {
    timeoutMs: 60_000,
    intervalMs: 200,
  });
  if (state === 'exited') {
    // Postfix needs root (master.cf services run as mail_owner); its log says why it stopped.
    const log = existsSync(join(dir, 'maillog')) ? readFileSync(join(dir, 'maillog'), 'utf8') : '';
    throw new Error(`postfix exited ${child.exitCode}: ${output}\n${log}`);
  }
  return started;
}

async function stopPostfix(): Promise<void> {
  if (!postfix) return;
  const { dir, child } = postfix;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await run('postfix', ['-c', dir, 'stop']).catch(() => child.kill('SIGTERM'));
    await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
  }
}

function maildirFiles(maildir: string): string[] {
  return ['new', 'cur'].flatMap((sub) => (existsSync(join(maildir, sub)) ? readdirSync(join(maildir, sub)).map((f) => join(maildir, sub, f)) : []));
}

async function startCentre(id: string, country: string, config: Record<string, unknown> = {}): Promise<Centre> {
  const dir = join(tmp.path, id);
  const init = await runCli(['init', '--data', dir, '--id', id, '--country', country, '--port', '0', '--public']);
  expect(init.code, init.stderr).toBe(0);
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ ...(JSON.parse(readFileSync(file, 'utf8')) as object), ...config }, null, 2));
  const serve = await spawnServe(dir);
  const centre = { dir, serve, token: readFileSync(join(dir, 'operator.token'), 'utf8').trim() };
  centres.set(id, centre);
  return centre;
}

interface Summary {
  dryRun: boolean;
  messages: number;
  origins: number;
  queued: number;
  reportLines: number;
  via: Record<string, number>;
  refused: { code: string; messages: number; example: string }[];
  byCountry: { country: string | null; messages: number }[];
  brokenSeparators: number;
}

function refusedCounts(s: Summary): Record<string, number> {
  return Object.fromEntries(s.refused.map((r) => [r.code, r.messages]));
}

beforeAll(async () => {
  await Promise.all([
    startPostfix(),
    startCentre('jp-dekyo', 'JP', { mail: { trustedRelays: TRUSTED } }),
    startCentre('cn-isc', 'CN'),
  ]);
  const jp = centres.get('jp-dekyo')!;
  const cn = centres.get('cn-isc')!;
  for (const [a, b] of [
    [jp, cn],
    [cn, jp],
  ] as const) {
    const add = await runCli(['peer', 'add', '--data', a.dir, b.serve.url, '--schedule', '0 0 1 1 *']);
    expect(add.code, add.stderr).toBe(0);
  }
}, 180_000);

afterAll(async () => {
  await Promise.all([...centres.values()].map((c) => c.serve.stop()));
  await stopPostfix();
  tmp.cleanup();
});

describe('spam relayed by a real Postfix', () => {
  it('yields exactly the expected origins, Postfix\'s own loopback hop and the trusted edge skipped', async () => {
    const { port, maildir } = postfix!;
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
    try {
      for (const m of RELAYED) {
        await transport.sendMail({ envelope: { from: 'win@spam.example', to: ['trap@trap.example'] }, raw: message(m.received, m.name) });
      }
    } finally {
      transport.close();
    }
    const files = await waitFor('Postfix to deliver every message into the Maildir', () => {
      const f = maildirFiles(maildir);
      return f.length === RELAYED.length ? f : undefined;
    });
    // Postfix put its own line on top: the client is this test, on loopback.
    for (const f of files) expect(readFileSync(f, 'utf8')).toMatch(/^Received: from [^\n]*\[127\.0\.0\.1\]\)\s+by monitor\.centre\.example \(Postfix\)/m);

    const jp = centres.get('jp-dekyo')!;
    const dry = await runCli(['report', '--data', jp.dir, '--mail', maildir, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    const lines = dry.stdout.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(lines[0]).toBe('prefix,first_seen,last_seen,reports');
    const expected = new Map<string, number>();
    for (const m of RELAYED) expected.set(m.origin, (expected.get(m.origin) ?? 0) + 1);
    expect(new Map(lines.slice(1).map((l) => [l.split(',')[0]!, Number(l.split(',')[3])]))).toEqual(expected);
    for (const l of lines.slice(1)) expect(l).toContain(`,${SEEN},${SEEN},`);
    expect(dry.stdout).toContain(`# messages read ${RELAYED.length}; origins found ${RELAYED.length}`);

    const json = await runCli(['report', '--data', jp.dir, '--mail', maildir, '--json', '--dry-run']);
    const summary = JSON.parse(json.stdout) as Summary;
    expect(summary).toMatchObject({ dryRun: true, messages: RELAYED.length, origins: RELAYED.length, queued: RELAYED.length, reportLines: expected.size, refused: [], brokenSeparators: 0 });
    const cnMessages = RELAYED.filter((m) => !m.origin.includes(':') && countryOf(v4(m.origin)) === 'CN').length;
    expect(summary.byCountry.find((c) => c.country === 'CN')?.messages).toBe(cnMessages);
    // Nothing was queued by the dry runs.
    const status = (await (await fetch(`${jp.serve.url}/v1/status`, { headers: { authorization: `Bearer ${jp.token}` } })).json()) as Record<string, unknown>;
    expect((status.feed as { queuedReports: number }).queuedReports).toBe(0);
  });
});

// ---- Abuse reports and broken input, as files ---------------------------------------------------

const arf = (feedback: string, enclosed: string) =>
  [
    'From: abuse@isp.example',
    'To: abuse@centre.example',
    'Subject: FW: spam report',
    `Date: ${DATE}`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=feedback-report;',
    '\tboundary="arf-boundary"',
    '',
    '--arf-boundary',
    'Content-Type: text/plain; charset="US-ASCII"',
    '',
    'This is an email abuse report for a message received from our customers.',
    '--arf-boundary',
    'Content-Type: message/feedback-report',
    '',
    feedback,
    '',
    '--arf-boundary',
    'Content-Type: message/rfc822',
    'Content-Disposition: inline',
    '',
    enclosed,
    '--arf-boundary--',
    '',
  ].join('\r\n');

const xarf = (yaml: string) =>
  [
    'From: abuse@isp.example',
    'To: abuse@centre.example',
    'Subject: abuse report about an address',
    `Date: ${DATE}`,
    'X-ARF: Yes',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="xarf"',
    '',
    '--xarf',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Dear abuse team, see the attached report.',
    '--xarf',
    'Content-Type: text/plain; charset=utf-8; name="report.txt"',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from(yaml).toString('base64'),
    '--xarf',
    'Content-Type: message/rfc822; name="evidence.eml"',
    '',
    message([hop(KR[1]!)], 'evidence'),
    '--xarf--',
    '',
  ].join('\r\n');

const yaml = (category: string, type: string, source: string) =>
  `Reported-From: abuse@isp.example\nCategory: ${category}\nReport-Type: ${type}\nService: smtp\nVersion: '0.2'\nUser-Agent: test\nDate: '${DATE}'\nSource-Type: ip-address\nSource: ${source}\n`;

describe('abuse reports and broken input', () => {
  it('takes ARF and X-ARF, skips other feedback, counts every broken message and goes on', async () => {
    const dir = join(tmp.path, 'samples');
    mkdirSync(dir);
    const files: Record<string, string | Buffer> = {
      'arf-source-ip.eml': arf(`Feedback-Type: abuse\r\nUser-Agent: SomeGenerator/1.0\r\nVersion: 1\r\nSource-IP: ${CN[5]}\r\nArrival-Date: ${DATE}`, message([hop(KR[0]!)], 'reported')),
      'arf-enclosed.eml': arf('Feedback-Type: abuse\r\nUser-Agent: SomeGenerator/1.0\r\nVersion: 1', message([hop(CN[6]!, 'mx.isp.example')], 'reported')),
      'arf-not-spam.eml': arf('Feedback-Type: not-spam\r\nUser-Agent: SomeGenerator/1.0\r\nVersion: 1', message([hop(CN[7]!)], 'fine')),
      'xarf.eml': xarf(yaml('abuse', 'spam', CN[8]!)),
      'xarf-login.eml': xarf(yaml('abuse', 'login-attack', CN[9]!)),
      'malformed.eml': '\u0000\u0001 this is no message at all\r\n\r\n',
      'no-hop.eml': message([`by monitor.centre.example (Postfix, from userid 0) id 7; ${DATE}`, `from localhost (localhost [127.0.0.1]) by monitor.centre.example (Postfix) id 8; ${DATE}`], 'local only'),
      'private.eml': message([hop('10.20.1.7')], 'from private space'),
      'unreadable.eml': message([`from somewhere.example by edge.centre.example with ESMTP id 3; ${DATE}`, hop(KR[0]!)], 'no client'),
      'large.eml': Buffer.concat([
        Buffer.from(
          [
            ...[hop(CN[10]!)].map((r) => `Received: ${r}`),
            'Subject: a large attachment',
            'MIME-Version: 1.0',
            'Content-Type: multipart/mixed; boundary="b"',
            '',
            '--b',
            'Content-Type: application/octet-stream',
            'Content-Transfer-Encoding: base64',
            '',
            '',
          ].join('\r\n'),
        ),
        Buffer.alloc(20 * 1024 * 1024, 'QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\r\n'),
        Buffer.from('\r\n--b--\r\n'),
      ]),
      // Three messages; the third separator has no blank line before it.
      'broken.mbox': [
        'From win@spam.example Mon Dec  7 01:02:03 2026',
        message([hop(CN[11]!)], 'first'),
        'From win@spam.example Mon Dec  7 01:02:04 2026',
        message([hop(CN[0]!)], 'second').replace(/\r\n$/, ''),
        'From win@spam.example Mon Dec  7 01:02:05 2026',
        message([hop(CN[1]!)], 'third'),
      ].join('\n').replace(/\r\n/g, '\n'),
    };
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    // One over the 64 MB bound: skipped unread.
    writeFileSync(join(dir, 'too-large.eml'), Buffer.alloc(65 * 1024 * 1024, 'x'));

    const jp = centres.get('jp-dekyo')!;
    const paths = Object.keys(files).map((f) => join(dir, f));
    const result = await runCli(['report', '--data', jp.dir, '--mail', ...paths, join(dir, 'too-large.eml'), '--json', '--dry-run']);
    expect(result.code, result.stderr).toBe(0);
    const s = JSON.parse(result.stdout) as Summary;
    expect(s.messages).toBe(Object.keys(files).length - 1 + 3 + 1);
    expect(s.via).toEqual({ received: 5, arf: 2, 'x-arf': 1 });
    expect(refusedCounts(s)).toEqual({ MAIL_FEEDBACK_SKIPPED: 2, MAIL_MALFORMED: 1, MAIL_NO_ORIGIN: 1, MAIL_RECEIVED_UNREADABLE: 1, MAIL_TOO_LARGE: 1, PREFIX_SPECIAL_PURPOSE: 1 });
    expect(s.brokenSeparators).toBe(1);
    // An origin in private space is found (and counted by country as none), then refused by local policy.
    expect(s.origins).toBe(8);
    expect(s.queued).toBe(7);

    // Text mode names each refused message on stderr, and the CSV holds exactly the origins found.
    const text = await runCli(['report', '--data', jp.dir, '--mail', ...paths, '--dry-run']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stderr).toContain(`${join(dir, 'arf-not-spam.eml')}: MAIL_FEEDBACK_SKIPPED: ARF Feedback-Type "not-spam" is not abuse`);
    expect(text.stderr).toContain(`${join(dir, 'xarf-login.eml')}: MAIL_FEEDBACK_SKIPPED`);
    expect(text.stderr).toContain(`${join(dir, 'broken.mbox')}:`);
    expect(text.stderr).toMatch(/broken mbox separator: an envelope line with no blank line before it/);
    const origins = text.stdout.split('\n').filter((l) => l && !l.startsWith('#') && !l.startsWith('prefix')).map((l) => l.split(',')[0]).sort();
    expect(origins).toEqual([CN[5], CN[6], CN[8], CN[10], CN[11], CN[0], CN[1]].sort());
  }, 120_000);
});

describe('POST /v1/reports/mail', () => {
  it('queues the origin of one message, or answers the refusal', async () => {
    const jp = centres.get('jp-dekyo')!;
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${jp.serve.url}/v1/reports/mail`, { method: 'POST', headers: { authorization: `Bearer ${jp.token}`, 'content-type': 'message/rfc822', ...headers }, body });
    const ok = await post(message([edge, hop(CN[2]!), forged(KR[0]!)], 'over HTTP'));
    expect(ok.status).toBe(202);
    const answer = (await ok.json()) as { origin: Record<string, unknown>; queued: number };
    expect(answer.origin).toMatchObject({ address: CN[2], seen: SEEN, via: 'received', hop: 2, country: 'CN' });
    expect(answer.queued).toBe(1);

    const arfOk = await post(arf(`Feedback-Type: abuse\r\nVersion: 1\r\nSource-IP: ${CN[3]}`, message([hop(KR[0]!)], 'r')));
    expect(((await arfOk.json()) as { origin: { via: string } }).origin.via).toBe('arf');

    const none = await post(message([edge], 'only our own relay'));
    expect(none.status).toBe(422);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('MAIL_NO_ORIGIN');
    const policy = await post(message([hop('10.1.2.3')], 'private origin'));
    expect(policy.status).toBe(422);
    expect(((await policy.json()) as { refused: { code: string }[] }).refused[0]!.code).toBe('PREFIX_SPECIAL_PURPOSE');
    expect((await post('x', { 'content-type': 'text/plain' })).status).toBe(400);
    expect((await fetch(`${jp.serve.url}/v1/reports/mail`, { method: 'POST', headers: { 'content-type': 'message/rfc822' }, body: 'x' })).status).toBe(401);
  });
});

describe('federation', () => {
  it("mail reported at one centre reaches the partner's jurisdiction list", async () => {
    const jp = centres.get('jp-dekyo')!;
    const cn = centres.get('cn-isc')!;
    const queued = await runCli(['report', '--data', jp.dir, '--mail', postfix!.maildir, '--json']);
    expect(queued.code, queued.stderr).toBe(0);
    expect((JSON.parse(queued.stdout) as Summary).queued).toBe(RELAYED.length);
    const published = await fetch(`${jp.serve.url}/v1/publish`, { method: 'POST', headers: { authorization: `Bearer ${jp.token}` } });
    expect(published.status).toBe(200);
    const pulled = await fetch(`${cn.serve.url}/v1/peers/jp-dekyo/pull`, { method: 'POST', headers: { authorization: `Bearer ${cn.token}` } });
    expect(pulled.status, await pulled.text()).toBe(200);
    const wanted = [...new Set(RELAYED.map((m) => m.origin).filter((a) => !a.includes(':') && countryOf(v4(a)) === 'CN'))].map((a) => `${a}/32`).sort();
    expect(wanted.length).toBeGreaterThan(3);
    await waitFor('the CN origins in cn-isc\'s jurisdiction list', async () => {
      const res = await fetch(`${cn.serve.url}/v1/jurisdiction`, { headers: { authorization: `Bearer ${cn.token}` } });
      const body = (await res.json()) as { rows: { prefix: string; sources: { publisher: string }[] }[] };
      const fromJp = body.rows.filter((r) => r.sources.some((s) => s.publisher === 'jp-dekyo')).map((r) => r.prefix);
      return wanted.every((p) => fromJp.includes(p)) ? true : undefined;
    }, { timeoutMs: 60_000, intervalMs: 300 });
  }, 120_000);
});
