import dnsPacket, { type DecodedPacket, type RecordType } from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { DnsblIndex } from '../../src/read/dnsbl-index.js';
import { fastAnswer } from '../../src/serve/dnsbl/dnsbl-fast-path.js';
import { parseQueryName } from '../../src/serve/dnsbl/dnsbl-name.js';
import { answerQuery, generalAnswer } from '../../src/serve/dnsbl/dnsbl-query.js';
import { questionSection } from '../../src/serve/dnsbl/dnsbl-question.js';
import type { DnsblZone } from '../../src/serve/dnsbl/dnsbl-zone.js';
import { v4Name, v6Name } from '../helpers/dig.js';
import { prefix } from './fixtures.js';

const ZONE = 'bl.test';

function indexOf(listings: Record<string, string>): DnsblIndex {
  const index = new DnsblIndex();
  for (const [text, sources] of Object.entries(listings)) index.set(prefix(text).key, sources);
  return index;
}

describe('DnsblIndex', () => {
  const index = indexOf({
    '61.4.12.7/32': 'cn-isc',
    '116.31.64.0/24': 'jp-dekyo',
    '116.31.64.9/32': 'cn-isc hk-ofta',
    '202.12.0.0/17': 'tw-ncc',
    '2400:cb00::/32': 'jp-dekyo',
    '2400:cb00:8000::/33': 'hk-ofta',
    '2401:3800::5/128': 'cn-isc',
  });
  const v4 = (text: string) => prefix(text).start as number;
  const v6 = (text: string) => (prefix(text).start as bigint).toString(16).padStart(32, '0');

  it('finds every piece covering an address and unions their sources', () => {
    expect(index.lookupV4(v4('61.4.12.7'))).toBe('cn-isc');
    expect(index.lookupV4(v4('116.31.64.200'))).toBe('jp-dekyo');
    expect(index.lookupV4(v4('116.31.64.9'))).toBe('cn-isc hk-ofta jp-dekyo');
    expect(index.lookupV4(v4('202.12.127.255'))).toBe('tw-ncc');
    expect(index.lookupV4(v4('202.12.128.0'))).toBeUndefined();
    expect(index.lookupV4(v4('61.4.12.8'))).toBeUndefined();
    expect(index.lookupV6(v6('2400:cb00::1'))).toBe('jp-dekyo');
    expect(index.lookupV6(v6('2400:cb00:8000::1'))).toBe('hk-ofta jp-dekyo'); // a /33: half a nibble
    expect(index.lookupV6(v6('2400:cb00:7fff::1'))).toBe('jp-dekyo');
    expect(index.lookupV6(v6('2401:3800::5'))).toBe('cn-isc');
    expect(index.lookupV6(v6('2401:3800::4'))).toBeUndefined();
    expect(index.size).toBe(7);
  });

  it('replaces sources and forgets deleted pieces', () => {
    const copy = indexOf({ '61.4.12.7/32': 'cn-isc' });
    copy.set(prefix('61.4.12.7').key, 'cn-isc jp-dekyo');
    expect(copy.lookupV4(v4('61.4.12.7'))).toBe('cn-isc jp-dekyo');
    expect(copy.size).toBe(1);
    copy.delete(prefix('61.4.12.7').key);
    copy.delete(prefix('61.4.12.7').key);
    expect(copy.lookupV4(v4('61.4.12.7'))).toBeUndefined();
    expect(copy.size).toBe(0);
  });
});

describe('parseQueryName (RFC 5782 §2.1, §2.4)', () => {
  it('reads reversed octets and nibbles, case-insensitively, inside the zone only', () => {
    expect(parseQueryName('7.12.4.61.bl.test', ZONE)).toEqual({ kind: 'v4', address: v4Number('61.4.12.7') });
    expect(parseQueryName('7.12.4.61.BL.Test.', ZONE)).toEqual({ kind: 'v4', address: v4Number('61.4.12.7') });
    expect(parseQueryName(v6Name('2400:CB00::1', ZONE).toUpperCase(), ZONE)).toEqual({ kind: 'v6', nibbles: '2400cb00000000000000000000000001' });
    expect(parseQueryName('bl.test', ZONE)).toEqual({ kind: 'apex' });
    expect(parseQueryName('12.4.61.bl.test', ZONE)).toEqual({ kind: 'ancestor' });
    expect(parseQueryName('0.0.4.2.bl.test', ZONE)).toEqual({ kind: 'v4', address: v4Number('2.4.0.0') });
    expect(parseQueryName('a.0.4.2.bl.test', ZONE)).toEqual({ kind: 'ancestor' });
    for (const none of ['07.12.4.61.bl.test', '256.12.4.61.bl.test', '1.7.12.4.61.bl.test', 'www.bl.test', 'ab.0.4.2.bl.test']) {
      expect(parseQueryName(none, ZONE), none).toEqual({ kind: 'none' });
    }
    for (const outside of ['7.12.4.61.xbl.test', 'test', '7.12.4.61.bl.test.example', '']) {
      expect(parseQueryName(outside, ZONE), outside).toEqual({ kind: 'outside' });
    }
  });
});

describe('answering', () => {
  const zone: DnsblZone = {
    zone: ZONE,
    ttl: 300,
    nameserver: 'ns.example.net',
    index: indexOf({ '61.4.12.7/32': 'cn-isc jp-dekyo', '116.31.64.0/24': 'jp-dekyo', '2400:cb00::/32': 'hk-ofta' }),
    serial: 42,
    publicUrl: 'https://spamx.example.net',
  };
  const query = (name: string, type: RecordType = 'A', flags = dnsPacket.RECURSION_DESIRED) =>
    dnsPacket.encode({ type: 'query', id: 7, flags, questions: [{ type, name, class: 'IN' }] });
  /** As resolvers ask: EDNS with a payload size, maybe DO, maybe an option. */
  const ednsQuery = (name: string, { dnssecOk = false, version = 0, size = 4096 } = {}) =>
    dnsPacket.encode({
      type: 'query',
      id: 9,
      questions: [{ type: 'A', name }],
      additionals: [
        { type: 'OPT', name: '.', udpPayloadSize: size, extendedRcode: 0, ednsVersion: version, flags: dnssecOk ? dnsPacket.DNSSEC_OK : 0, flag_do: dnssecOk, options: [{ code: 'PADDING', length: 8 } as never] },
      ],
    });
  const decoded = (message: Buffer | undefined) => {
    const { id, flags, rcode, questions, answers, authorities, additionals } = dnsPacket.decode(message!) as DecodedPacket & { rcode: string };
    return { id, flags, rcode, questions, answers, authorities, additionals };
  };

  it('answers the common A query on the fast path exactly as the general path does', () => {
    const names = [
      ...['61.4.12.7', '61.4.12.8', '116.31.64.77', '127.0.0.2', '127.0.0.1', '202.12.27.33'].map((a) => v4Name(a, ZONE)),
      ...['2400:cb00::1', '2400:cb01::1', '::ffff:7f00:2', '::ffff:7f00:1', '::ffff:61.4.12.7'].map((a) => v6Name(a, ZONE)),
      v4Name('61.4.12.7', ZONE).toUpperCase(),
    ];
    for (const name of names) {
      const messages = [query(name, 'A', 0), query(name), ednsQuery(name), ednsQuery(name, { dnssecOk: true, size: 512 })];
      for (const message of messages) {
        const fast = fastAnswer(message, zone);
        expect(fast, name).toBeDefined();
        expect(decoded(fast), name).toEqual(decoded(generalAnswer(message, zone, 'udp')));
      }
    }
    expect(decoded(fastAnswer(ednsQuery(names[0]!, { dnssecOk: true }), zone)).additionals).toMatchObject([
      { type: 'OPT', udpPayloadSize: 1232, ednsVersion: 0, flag_do: true, options: [] },
    ]);
    expect(decoded(fastAnswer(query(v4Name('61.4.12.7', ZONE)), zone)).answers).toEqual([
      { name: v4Name('61.4.12.7', ZONE), type: 'A', ttl: 300, class: 'IN', flush: false, data: '127.0.0.2' },
    ]);
    expect(decoded(fastAnswer(query(v4Name('61.4.12.8', ZONE)), zone))).toMatchObject({ rcode: 'NXDOMAIN', answers: [] });
  });

  it('answers awkward names as the general path does, whichever path takes them', () => {
    const awkward = [
      '7.12.4.61.BL.TEST',
      '7.12.4.61.Bl.tEsT',
      '07.12.4.61.bl.test',
      '7.12.4.061.bl.test',
      '7.12.4.256.bl.test',
      '7.12.4.6a.bl.test',
      '1.7.12.4.61.bl.test',
      '12.4.61.bl.test',
      '7.12.4.61.xbl.test',
      '7.12.4.61.bl.testx',
      '7.12.4.61.test',
      '7.12.4.61',
      '0.0.0.0.bl.test',
      '255.255.255.255.bl.test',
      'x.7.12.4.61.bl.test',
      v6Name('2400:cb00::1', ZONE).toUpperCase(),
      v6Name('2400:cb00::1', ZONE).slice(2),
    ];
    for (const name of awkward) {
      const message = query(name);
      expect(decoded(answerQuery(message, zone, 'udp')), name).toEqual(decoded(generalAnswer(message, zone, 'udp')));
    }
    expect(fastAnswer(query('7.12.4.61.BL.TEST'), zone)).toBeDefined();
  });

  it('leaves everything else to the general path', () => {
    expect(fastAnswer(query(v4Name('61.4.12.7', ZONE), 'TXT'), zone)).toBeUndefined();
    expect(fastAnswer(query(ZONE, 'SOA'), zone)).toBeUndefined();
    expect(fastAnswer(query('example.com'), zone)).toBeUndefined();
    expect(fastAnswer(query(`4.61.${ZONE}`), zone)).toBeUndefined();
    const badVersion = ednsQuery(v4Name('61.4.12.7', ZONE), { version: 1 });
    expect(fastAnswer(badVersion, zone)).toBeUndefined();
    expect(decoded(answerQuery(badVersion, zone, 'udp')).additionals).toMatchObject([{ type: 'OPT', udpPayloadSize: 1232, extendedRcode: 1 }]);
    // A negative answer whose SOA would not fit in 512 bytes: the general path truncates it.
    const longZone = `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.test`;
    const long: DnsblZone = { ...zone, zone: longZone, nameserver: `ns.${longZone}` };
    const miss = query(v4Name('61.4.12.8', longZone));
    expect(fastAnswer(miss, long)).toBeUndefined();
    expect(decoded(answerQuery(miss, long, 'udp')).flags! & dnsPacket.TRUNCATED_RESPONSE).toBeTruthy();
    expect(decoded(answerQuery(miss, long, 'tcp')).rcode).toBe('NXDOMAIN');
  });

  it('names the sources and the lookup URL in TXT', () => {
    expect(decoded(answerQuery(query(v4Name('61.4.12.7', ZONE), 'TXT'), zone, 'udp')).answers?.[0]).toMatchObject({
      type: 'TXT',
      data: [Buffer.from('Listed by cn-isc jp-dekyo; see https://spamx.example.net/lookup/61.4.12.7')],
    });
  });

  it('truncates an answer too big for UDP and gives it whole over TCP (RFC 2181 §9)', () => {
    const many = Array.from({ length: 40 }, (_, i) => `centre-number-${i}`).join(' ');
    const big: DnsblZone = { ...zone, index: indexOf({ '61.4.12.7/32': many }) };
    const udp = decoded(answerQuery(query(v4Name('61.4.12.7', ZONE), 'TXT'), big, 'udp'));
    expect(udp.flags! & dnsPacket.TRUNCATED_RESPONSE).toBeTruthy();
    expect(udp.answers).toEqual([]);
    const tcp = decoded(answerQuery(query(v4Name('61.4.12.7', ZONE), 'TXT'), big, 'tcp'));
    expect(Buffer.concat((tcp.answers![0] as { data: Buffer[] }).data).toString()).toContain('centre-number-39');
  });

  it('answers NOTIMP, FORMERR and BADVERS, and drops what does not parse or is a response', () => {
    const notify = dnsPacket.encode({ type: 'query', id: 3, flags: 4 << 11, questions: [{ type: 'SOA', name: ZONE }] });
    expect(decoded(answerQuery(notify, zone, 'udp')).rcode).toBe('NOTIMP');
    const two = dnsPacket.encode({ type: 'query', id: 3, questions: [{ type: 'A', name: ZONE }, { type: 'A', name: ZONE }] });
    expect(decoded(answerQuery(two, zone, 'udp')).rcode).toBe('FORMERR');
    const edns1 = dnsPacket.encode({
      type: 'query',
      id: 3,
      questions: [{ type: 'A', name: ZONE }],
      additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096, extendedRcode: 0, ednsVersion: 1, flags: 0, flag_do: false, options: [] }],
    });
    expect(decoded(answerQuery(edns1, zone, 'udp')).additionals).toMatchObject([{ type: 'OPT', extendedRcode: 1 }]);
    expect(answerQuery(Buffer.from([1, 2, 3]), zone, 'udp')).toBeUndefined();
    const response = dnsPacket.encode({ type: 'response', id: 3, questions: [{ type: 'A', name: v4Name('61.4.12.7', ZONE) }] });
    expect(answerQuery(response, zone, 'udp')).toBeUndefined();
  });

  describe('a label holding a "." byte (RFC 2181 §11)', () => {
    const label = (text: string) => Buffer.concat([Buffer.from([text.length]), Buffer.from(text, 'latin1')]);
    const questionOf = (labels: string[], type = 1) => Buffer.concat([...labels.map(label), Buffer.from([0, 0, type, 0, 1])]);
    const header = (qdcount = 1, arcount = 0) => Buffer.from([0x12, 0x34, 0x01, 0x00, 0, qdcount, 0, 0, 0, 0, 0, arcount]);
    const opt = Buffer.from([0, 0, 41, 0x10, 0, 0, 0, 0x80, 0, 0, 0]); // EDNS, 4096 bytes, DO

    it('is refused on either path, the question echoed byte for byte, never read as other labels', () => {
      const questions = [
        questionOf(['7.12.4.61', 'bl', 'test']), // would read as the listed 61.4.12.7
        questionOf(['7', '12', '4', '61', 'bl.test']),
        questionOf(['bl.test']), // would read as the apex
        questionOf(['.', 'bl', 'test']),
        questionOf(['x.', 'BL', 'Test'], 16),
        questionOf(['7.12.4.61', 'example', 'com']),
      ];
      for (const question of questions) {
        for (const message of [Buffer.concat([header(), question]), Buffer.concat([header(1, 1), question, opt])]) {
          for (const transport of ['udp', 'tcp'] as const) {
            const reply = answerQuery(message, zone, transport)!;
            const what = `${transport} ${question.toString('latin1')}`;
            expect(fastAnswer(message, zone), what).toBeUndefined();
            expect(reply, what).toBeDefined();
            expect(decoded(reply), what).toMatchObject({ id: 0x1234, rcode: 'REFUSED', answers: [], authorities: [] });
            expect(reply.readUInt16BE(4), what).toBe(1);
            expect(reply.subarray(12, 12 + question.length).equals(question), what).toBe(true);
            // With EDNS in the query, our OPT record follows, DO copied (RFC 3225 §3).
            expect(decoded(reply).additionals, what).toEqual(message.length > 12 + question.length ? [expect.objectContaining({ type: 'OPT', flag_do: true })] : []);
          }
        }
      }
    });

    it('still answers names whose labels hold no "."', () => {
      const message = Buffer.concat([header(), questionOf(['7', '12', '4', '61', 'bl', 'test'])]);
      expect(decoded(generalAnswer(message, zone, 'udp'))).toMatchObject({ rcode: 'NOERROR', answers: [{ type: 'A', data: '127.0.0.2' }] });
    });
  });
});

describe('questionSection (RFC 1035 §4.1.2, §4.1.4)', () => {
  const header = (qdcount: number) => Buffer.from([0, 1, 0, 0, 0, qdcount, 0, 0, 0, 0, 0, 0]);
  const tail = [0, 1, 0, 1];

  it('finds where the questions end and whether a label holds a "."', () => {
    const plain = Buffer.from([...header(1), 1, 0x61, 2, 0x62, 0x63, 0, ...tail, 0xff]);
    expect(questionSection(plain, 1)).toEqual({ end: 12 + 10, dottedLabel: false });
    const dotted = Buffer.from([...header(1), 3, 0x61, 0x2e, 0x62, 0, ...tail]);
    expect(questionSection(dotted, 1)).toEqual({ end: dotted.length, dottedLabel: true });
    // A second question pointing at the first's name, whose label holds a '.'.
    const pointed = Buffer.from([...header(2), 3, 0x61, 0x2e, 0x62, 0, ...tail, 0xc0, 12, ...tail]);
    expect(questionSection(pointed, 2)).toEqual({ end: pointed.length, dottedLabel: true });
    const pointedPlain = Buffer.from([...header(2), 1, 0x61, 0, ...tail, 1, 0x62, 0xc0, 12, ...tail]);
    expect(questionSection(pointedPlain, 2)).toEqual({ end: pointedPlain.length, dottedLabel: false });
  });

  it('rejects names past the end, reserved label types and pointers that do not point back', () => {
    const bad = [
      [...header(1), 3, 0x61],
      [...header(1), 1, 0x61, 0, 0, 1],
      [...header(1), 0x40, 0x61, 0, ...tail],
      [...header(1), 0xc0, 4, ...tail], // into the header
      [...header(1), 0xc0, 12, ...tail], // at itself
      [...header(1), 0xc0, 14, 1, 0x61, 0, ...tail], // forward
      [...header(1), 1, 0x61, 0xc0, 12, ...tail], // a loop
    ];
    for (const message of bad) expect(questionSection(Buffer.from(message), 1), Buffer.from(message).toString('hex')).toBeUndefined();
  });
});

function v4Number(text: string): number {
  return text.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}
