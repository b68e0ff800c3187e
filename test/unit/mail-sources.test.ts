import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mailInputs, readMail } from '../../src/ingest/mail-sources.js';
import { tempDir } from '../helpers/temp-dir.js';

const tmp = tempDir('spamx-mail-sources-');
afterAll(() => tmp.cleanup());

const file = (name: string, content: string | Buffer): string => {
  const path = join(tmp.path, name);
  writeFileSync(path, content);
  return path;
};

describe('readMail', () => {
  it('splits an mbox at its separators, tells the broken ones, and keeps only headers of ordinary mail', () => {
    const long = 'x'.repeat(300_000); // a line longer than a read chunk's tail is never held whole
    const path = file(
      'a.mbox',
      [
        'From a@b Mon Dec  7 01:02:03 2026',
        'Received: from x (unknown [61.4.12.7]) by mx; Mon, 7 Dec 2026 01:02:03 +0000',
        'Subject: one',
        '',
        long,
        '>From quoted in the body',
        '',
        'From the desk of the sender, not a separator after all',
        'Subject: two',
        '',
        'body',
        'From a@b Mon Dec  7 01:02:04 2026',
        'Subject: three',
        'Content-Type: multipart/report; report-type=feedback-report; boundary=z',
        '',
        '>From here on the body is kept',
        '',
      ].join('\n'),
    );
    const broken: string[] = [];
    const messages = [...readMail([path], { brokenSeparator: (source, why) => broken.push(`${source} ${why}`) })];
    expect(messages.map((m) => m.source)).toEqual([`${path}:2`, `${path}:9`, `${path}:13`]);
    expect(messages[0]!.header!.toString()).toMatch(/^Received: .*\nSubject: one\n\n$/s);
    expect(messages[0]!.body).toBeNull();
    expect(messages[0]!.size).toBeGreaterThan(300_000);
    expect(messages[1]!.header!.toString()).toBe('Subject: two\n\n');
    // Abuse feedback keeps its body, mboxrd quoting undone.
    expect(messages[2]!.body!.toString()).toBe('From here on the body is kept\n');
    expect(broken).toEqual([`${path}:8 a From line that is no envelope line (From sender date)`, `${path}:12 an envelope line with no blank line before it`]);
  });

  it('reads lines that straddle its 1 MiB reads whole', () => {
    const one = (i: number) => `From a@b Mon Dec  7 01:02:03 2026\nReceived: from x${'y'.repeat(i % 97)} (unknown [61.4.${i >> 8}.${i & 255}]) by mx; Mon, 7 Dec 2026 01:02:03 +0000\nSubject: ${i}\n\n${'body line\n'.repeat(i % 13)}\n`;
    const count = 12_000;
    const path = file('many.mbox', Array.from({ length: count }, (_, i) => one(i)).join(''));
    const read = [...readMail([path])];
    expect(read.length).toBe(count);
    read.forEach((m, i) => expect(m.header!.toString()).toBe(one(i).split('\n\n')[0]!.split('\n').slice(1).join('\n') + '\n\n'));
  });

  it('reads a Maildir (new/ and cur/, not tmp/) and single messages, with an envelope line or CRLF', () => {
    const maildir = join(tmp.path, 'Maildir');
    for (const sub of ['new', 'cur', 'tmp']) mkdirSync(join(maildir, sub), { recursive: true });
    writeFileSync(join(maildir, 'new', '1.a'), 'Subject: new\r\n\r\nbody\r\n');
    writeFileSync(join(maildir, 'cur', '2.b:2,S'), 'Subject: cur\r\n\r\nbody\r\n');
    writeFileSync(join(maildir, 'tmp', '3.c'), 'Subject: tmp\r\n\r\nbody\r\n');
    const eml = file('one.eml', 'From a@b Mon Dec  7 01:02:03 2026\nSubject: saved with an envelope line\n\nbody\n');
    const headerOnly = file('header-only.eml', 'Subject: no body at all\r\n');
    const read = [...readMail([maildir, eml, headerOnly])];
    expect(read.map((m) => m.header!.toString())).toEqual([
      'Subject: new\r\n\r\n',
      'Subject: cur\r\n\r\n',
      // An mbox of one message: the envelope line is a separator.
      'Subject: saved with an envelope line\n\n',
      'Subject: no body at all\r\n',
    ]);
  });

  it('counts a message over the bound without reading it, and refuses a path that is none of the three', () => {
    const big = file('big.eml', Buffer.alloc(64 * 1024 * 1024 + 1, 'a'));
    const [m] = [...readMail([big])];
    expect(m!.problem).toMatchObject({ code: 'MAIL_TOO_LARGE' });
    mkdirSync(join(tmp.path, 'plain-dir'));
    expect(() => mailInputs([join(tmp.path, 'plain-dir')])).toThrow(/not a Maildir/);
    expect(() => mailInputs([join(tmp.path, 'missing')])).toThrow(/cannot read/);
  });
});
