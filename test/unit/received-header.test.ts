import { describe, expect, it } from 'vitest';
import { originOfArf, originOfXarf } from '../../src/core/arf.js';
import { analyseMessage, mimeParts } from '../../src/core/mail-message.js';
import { originOfReceived, TrustedRelays, trustedRelayProblem } from '../../src/core/mail-origin.js';
import { parseMailDate, parseReceived } from '../../src/core/received-header.js';

const AT = Date.UTC(2026, 11, 7, 1, 2, 3);

/** Each MTA's own form of the field, as it writes it, with the client the test expects read from it. */
const SAMPLES: { mta: string; field: string; address: string | null; reverseName?: string | null; helo?: string; local?: boolean; at?: number }[] = [
  {
    mta: 'Postfix, no reverse name',
    field: 'from mail.spammer.example (unknown [36.110.12.7])\r\n\tby mx.centre.example (Postfix) with ESMTP id 4F2A1C0\r\n\tfor <trap@centre.example>; Mon,  7 Dec 2026 01:02:03 +0000 (UTC)',
    address: '36.110.12.7',
    reverseName: null,
    at: AT,
  },
  {
    mta: 'Postfix, IPv6 literal',
    field: 'from helo.example (host.example.net [IPv6:2400:cb00:2048:1::681b:9c22]) by mx.centre.example (Postfix) with ESMTPS id 1; Mon, 7 Dec 2026 02:02:03 +0100',
    address: '2400:cb00:2048:1::681b:9c22',
    reverseName: 'host.example.net',
    at: AT,
  },
  {
    mta: 'Postfix, IPv4-mapped literal',
    field: 'from x (x.example.cn [IPv6:::ffff:61.4.12.7]) by mx (Postfix) with ESMTP id 2; Mon, 7 Dec 2026 01:02:03 +0000',
    address: '61.4.12.7',
  },
  {
    mta: 'Sendmail, ident and may be forged',
    field: 'from helo.spam (IDENT:root@dyn-61-4-12-7.example.cn [61.4.12.7] (may be forged)) by mail.centre.example (8.15.2/8.15.2) with ESMTP id 0B71234; Mon, 7 Dec 2026 02:02:03 +0100',
    address: '61.4.12.7',
    reverseName: 'dyn-61-4-12-7.example.cn',
    at: AT,
  },
  { mta: 'Sendmail, no name', field: 'from spam.example ([114.80.1.9]) by mail.centre.example (8.17.1/8.17.1) with SMTP id 5; 7 Dec 2026 01:02:03 GMT', address: '114.80.1.9', at: AT },
  {
    mta: 'Exim, literal with a forged HELO literal',
    field: 'from [114.80.1.9] (helo=[10.0.0.1])\n\tby mx.centre.example with esmtp (Exim 4.96)\n\t(envelope-from <a@b.example>)\n\tid 1kXyZ-0001Ab-Cd\n\tfor x@centre.example; Mon, 07 Dec 2026 01:02:03 +0000',
    address: '114.80.1.9',
    helo: '[10.0.0.1]',
  },
  {
    mta: 'Exim, resolved name and port',
    field: 'from host.example.cn ([58.30.1.2]:51234 helo=bogus.example) by mx.centre.example with esmtps (TLS1.3) (Exim 4.96) id 1kX; Mon, 07 Dec 2026 01:02:03 +0000',
    address: '58.30.1.2',
    reverseName: 'host.example.cn',
    helo: 'bogus.example',
  },
  { mta: 'Exim, IPv6', field: 'from [2400:cb00::1] (helo=x.example) by mx with esmtp (Exim 4.96) id 1; Mon, 07 Dec 2026 01:02:03 +0000', address: '2400:cb00::1' },
  {
    mta: 'qmail, HELO',
    field: 'from unknown (HELO mail.forged.example) (61.4.12.7)\n  by mail.centre.example with SMTP; 7 Dec 2026 01:02:03 -0000',
    address: '61.4.12.7',
    helo: 'mail.forged.example',
    at: AT,
  },
  { mta: 'qmail, user@address', field: 'from dsl.example.cn (HELO 1.2.3.4) (user@222.73.1.2) by mail.centre.example with SMTP; 7 Dec 2026 01:02:03 -0000', address: '222.73.1.2' },
  { mta: 'qmail, local', field: '(qmail 12345 invoked by uid 89); 7 Dec 2026 01:02:03 -0000', address: null, local: true, at: AT },
  { mta: 'qmail, from network', field: '(qmail 12346 invoked from network); 7 Dec 2026 01:02:03 -0000', address: null, local: true },
  {
    mta: 'Exchange',
    field: 'from mail.sender.example (58.30.1.2) by EXCH02.corp.example (10.1.1.6) with Microsoft SMTP Server (TLS) id 15.1.2044.4; Mon, 7 Dec 2026 01:02:03 +0000',
    address: '58.30.1.2',
    at: AT,
  },
  {
    mta: 'Exchange Online (Outlook web)',
    field:
      'from AM6PR0502MB3640.eurprd05.prod.outlook.com (2603:10a6:209:3b::19) by AM0PR05MB4082.eurprd05.prod.outlook.com (2603:10a6:208:5c::23) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.1769.15 via Frontend Transport; Mon, 7 Dec 2026 01:02:03 +0000',
    address: '2603:10a6:209:3b::19',
  },
  {
    mta: 'Gmail',
    field: 'from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41])\r\n        by mx.google.com with SMTPS id a1sor123 for <x@centre.example>\r\n        (Google Transport Security);\r\n        Sun, 06 Dec 2026 17:02:03 -0800 (PST)',
    address: '209.85.220.41',
    reverseName: 'mail-sor-f41.google.com',
    at: AT,
  },
  { mta: 'Gmail, internal', field: 'by 2002:a05:6a10:a5c9:0:0:0:0 with SMTP id c9csp123; Mon, 7 Dec 2026 01:02:03 -0800 (PST)', address: null, local: true },
  { mta: 'Gmail, submission', field: 'from [192.168.1.5] (ppp-36-110-1-2.example.cn. [36.110.1.2]) by smtp.gmail.com with ESMTPSA id x; Mon, 07 Dec 2026 01:02:03 +0000', address: '36.110.1.2' },
  { mta: 'Yahoo web', field: 'from 61.4.12.7 by sonic.gate.mail.ne1.yahoo.com with HTTP; Mon, 7 Dec 2026 01:02:03 +0000', address: '61.4.12.7' },
  { mta: 'Exim, local', field: 'from joe by mx.centre.example with local (Exim 4.96) (envelope-from <joe@centre.example>) id 1kX; Mon, 07 Dec 2026 01:02:03 +0000', address: null, local: true },
  { mta: 'Postfix, pickup', field: 'by mx.centre.example (Postfix, from userid 0) id 7A1; Mon,  7 Dec 2026 01:02:03 +0000 (UTC)', address: null, local: true },
  { mta: 'no clause at all', field: 'nothing to read here; Mon, 7 Dec 2026 01:02:03 +0000', address: null, local: false },
  { mta: 'unreadable', field: 'from some.host.example by mx.centre.example with ESMTP; Mon, 7 Dec 2026 01:02:03 +0000', address: null, local: false },
];

describe('parseReceived', () => {
  for (const s of SAMPLES) {
    it(`reads ${s.mta}`, () => {
      const hop = parseReceived(s.field);
      expect(hop.address).toBe(s.address);
      if (s.reverseName !== undefined) expect(hop.reverseName).toBe(s.reverseName);
      if (s.helo !== undefined) expect(hop.helo).toBe(s.helo);
      if (s.local !== undefined) expect(hop.local).toBe(s.local);
      if (s.at !== undefined) expect(hop.at).toBe(s.at);
    });
  }
});

describe('parseMailDate', () => {
  it('reads RFC 5322 dates and their obsolete forms', () => {
    expect(parseMailDate('Mon, 7 Dec 2026 01:02:03 +0000')).toBe(AT);
    expect(parseMailDate(' 7 Dec 2026 01:02:03 -0000 (UTC)')).toBe(AT);
    expect(parseMailDate('Sun, 6 Dec 2026 20:02:03 EST')).toBe(AT);
    expect(parseMailDate('Mon, 7 Dec 26 01:02:03 GMT')).toBe(AT);
    expect(parseMailDate('Mon, 7 Dec 2026 01:02 +0000')).toBe(AT - 3000);
  });
  it('refuses what is not a date', () => {
    expect(parseMailDate('yesterday')).toBeNull();
    expect(parseMailDate('31 Feb 2026 01:02:03 +0000')).toBeNull();
    expect(parseMailDate('7 Dec 2026 25:02:03 +0000')).toBeNull();
  });
});

const trusted = new TrustedRelays(['36.5.5.0/24', 'edge.centre.example', '.relay.centre.example', '2400:cb00:aaaa::/48']);
const ours = 'from edge.centre.example (edge.centre.example [36.5.5.9]) by monitor.centre.example (Postfix) with ESMTP id 1; Mon, 7 Dec 2026 01:05:00 +0000';

describe('originOfReceived', () => {
  it('skips trusted relays and ignores the forged lines below the origin', () => {
    const fields = [
      ours,
      'from spam.example (unknown [61.4.12.7]) by edge.centre.example (Postfix) with ESMTP id 2; Mon, 7 Dec 2026 01:02:03 +0000',
      'from forged.example (forged.example [114.80.1.9]) by mx.forged.example with ESMTP id 3; Mon, 7 Dec 2026 00:00:00 +0000',
      'garbage that is no Received field at all',
    ];
    expect(originOfReceived(fields, trusted)).toEqual({ ok: true, address: '61.4.12.7', at: AT, via: 'received', hop: 2 });
  });

  it('trusts a resolved name, never a HELO name', () => {
    const byName = ['from x (in1.relay.centre.example [58.1.1.1]) by monitor (Postfix) id 1; Mon, 7 Dec 2026 01:05:00 +0000', 'from y (unknown [222.73.1.2]) by in1 (Postfix) id 2; Mon, 7 Dec 2026 01:02:03 +0000'];
    expect(originOfReceived(byName, trusted)).toMatchObject({ ok: true, address: '222.73.1.2', hop: 2 });
    const helo = ['from edge.centre.example (unknown [61.4.12.7]) by monitor (Postfix) id 1; Mon, 7 Dec 2026 01:02:03 +0000', ours];
    expect(originOfReceived(helo, trusted)).toMatchObject({ ok: true, address: '61.4.12.7', hop: 1 });
  });

  it('skips loopback and local hand-overs, and trusts IPv6 relays by prefix', () => {
    const fields = [
      'by monitor.centre.example (Postfix, from userid 0) id 9; Mon, 7 Dec 2026 01:06:00 +0000',
      'from localhost (localhost [127.0.0.1]) by monitor.centre.example (Postfix) with ESMTP id 8; Mon, 7 Dec 2026 01:05:30 +0000',
      'from gw (gw.centre.example [IPv6:2400:cb00:aaaa::25]) by monitor (Postfix) id 7; Mon, 7 Dec 2026 01:05:10 +0000',
      'from unknown (HELO x) (2400:cb00:1234::9) by gw with SMTP; 7 Dec 2026 01:02:03 -0000',
    ];
    expect(originOfReceived(fields, trusted)).toMatchObject({ ok: true, address: '2400:cb00:1234::9', hop: 4, at: AT });
  });

  it('dates an undated origin hop by the trusted hop above it', () => {
    const fields = [ours, 'from spam.example (unknown [61.4.12.7]) by edge.centre.example (Postfix) with ESMTP id 2'];
    expect(originOfReceived(fields, trusted)).toMatchObject({ ok: true, address: '61.4.12.7', at: Date.UTC(2026, 11, 7, 1, 5, 0) });
  });

  it('refuses, naming why, rather than guess', () => {
    expect(originOfReceived([], trusted)).toMatchObject({ ok: false, code: 'MAIL_NO_ORIGIN' });
    expect(originOfReceived([ours], trusted)).toMatchObject({ ok: false, code: 'MAIL_NO_ORIGIN' });
    const unreadable = [ours, 'from some.host.example by edge.centre.example with ESMTP; Mon, 7 Dec 2026 01:02:03 +0000', 'from a (a [61.4.12.7]) by b'];
    expect(originOfReceived(unreadable, trusted)).toMatchObject({ ok: false, code: 'MAIL_RECEIVED_UNREADABLE' });
  });

  it('checks trusted relay entries', () => {
    expect(trustedRelayProblem('36.5.5.0/24')).toBeNull();
    expect(trustedRelayProblem('.centre.example')).toBeNull();
    expect(trustedRelayProblem('36.5.5.1/24')).toMatch(/host bits|36\.5\.5\.1/);
    expect(trustedRelayProblem('not a host!')).toMatch(/neither/);
  });
});

describe('abuse feedback', () => {
  it('takes ARF abuse reports by Source-IP, else the enclosed message, and skips other types', () => {
    expect(originOfArf('Feedback-Type: abuse\nUser-Agent: x/1\nVersion: 1\nSource-IP: 61.4.12.7\nArrival-Date: Mon, 7 Dec 2026 01:02:03 +0000\n', () => null)).toEqual({
      ok: true,
      address: '61.4.12.7',
      at: AT,
      via: 'arf',
      hop: 0,
    });
    expect(originOfArf('Feedback-Type: abuse\nVersion: 1\n', () => ({ ok: true, address: '114.80.1.9', at: null, via: 'received', hop: 1 }))).toMatchObject({ address: '114.80.1.9', via: 'arf' });
    expect(originOfArf('Feedback-Type: not-spam\nVersion: 1\n', () => null)).toMatchObject({ ok: false, code: 'MAIL_FEEDBACK_SKIPPED' });
    expect(originOfArf('Feedback-Type: abuse\nSource-IP: nowhere\n', () => null)).toMatchObject({ ok: false, code: 'MAIL_MALFORMED' });
  });

  it('takes X-ARF spam reports about an address, and skips other categories', () => {
    const yaml = "Reported-From: abuse@isp.example\nCategory: abuse\nReport-Type: spam\nService: smtp\nVersion: '0.2'\nSource: 222.73.1.2\nSource-Type: ip-address\nDate: Mon, 7 Dec 2026 01:02:03 +0000\n";
    expect(originOfXarf(yaml)).toEqual({ ok: true, address: '222.73.1.2', at: AT, via: 'x-arf', hop: 0 });
    expect(originOfXarf(yaml.replace('Category: abuse', 'Category: info'))).toMatchObject({ ok: false, code: 'MAIL_FEEDBACK_SKIPPED' });
    expect(originOfXarf(yaml.replace('Report-Type: spam', 'Report-Type: login-attack'))).toMatchObject({ ok: false, code: 'MAIL_FEEDBACK_SKIPPED' });
    expect(originOfXarf(yaml.replace('Source-Type: ip-address', 'Source-Type: uri'))).toMatchObject({ ok: false, code: 'MAIL_FEEDBACK_SKIPPED' });
  });

  it('cuts a multipart body into its parts', () => {
    const body = Buffer.from('preamble\r\n--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b1\r\n\r\nno header\r\n--b1--\r\nepilogue');
    const parts = mimeParts(body, 'b1');
    expect(parts.map((p) => [p.header.toString(), p.body.toString()])).toEqual([
      ['Content-Type: text/plain\r\n\r\n', 'hello'],
      ['\r\n', 'no header'],
    ]);
  });

  it('reads a whole ARF message', async () => {
    const message = [
      'From: abuse@isp.example',
      'Subject: FW: spam',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=feedback-report;',
      '  boundary="part1"',
      '',
      '--part1',
      'Content-Type: text/plain',
      '',
      'This is an abuse report',
      '--part1',
      'Content-Type: message/feedback-report',
      '',
      'Feedback-Type: abuse',
      'Version: 1',
      '',
      '--part1',
      'Content-Type: message/rfc822',
      '',
      'Received: from mailserver.example.net (mailserver.example.net [36.110.1.2]) by mx.isp.example with ESMTP id M6; Mon, 7 Dec 2026 01:02:03 +0000',
      'From: <spammer@example.net>',
      '',
      'Spam',
      '--part1--',
      '',
    ].join('\r\n');
    const end = message.indexOf('\r\n\r\n') + 4;
    const verdict = await analyseMessage(Buffer.from(message.slice(0, end)), Buffer.from(message.slice(end)), trusted);
    expect(verdict).toEqual({ ok: true, address: '36.110.1.2', at: AT, via: 'arf', hop: 1 });
  });
});
