import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import dnsPacket, { type DecodedPacket, type RecordType } from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpamxNode } from '../../src/daemon.js';
import { dig, digA, v4Name, v6Name } from '../helpers/dig.js';
import { initTestNode, pinTestPeer, PUBLIC_FEEDS, startTestNode } from '../helpers/nodes.js';
import { startRbldnsd, type RbldnsdProcess } from '../helpers/rbldnsd.js';
import { runCli } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * The DNSBL (RFC 5782) of a real node, asked with the real `dig` over UDP and TCP: listings from
 * two centres, the test points, the apex, names outside the zone, listings published or
 * withdrawn while it runs, hostile packets; and the same answers as the real rbldnsd serving
 * our rbldnsd export.
 */
const ZONE = 'bl.test';
const tmp = tempDir();
let peer: SpamxNode;
let hub: SpamxNode;
let hubDir: string;
let port: number;

const listed = (name: string, tcp = false) => digA(port, name, { tcp });

beforeAll(async () => {
  peer = await startTestNode(await initTestNode(tmp.path, { id: 'cn-isc', config: PUBLIC_FEEDS }));
  hubDir = await initTestNode(tmp.path, { id: 'jp-dekyo', config: { dnsbl: { port: 0, zone: ZONE } } });
  hub = await startTestNode(hubDir);
  port = hub.dnsblPort!;
  peer.reportText('61.4.12.7\n116.31.64.9\n');
  await peer.publish();
  hub.reportText('61.4.12.7\n116.31.64.0/24\n202.12.27.33\n2400:cb00::/32\n2401:3800::5\n');
  await hub.publish();
  await pinTestPeer(hub, peer);
  expect((await hub.pull('cn-isc'))?.error).toBeUndefined();
  hub.project();
  await waitFor('the DNSBL to serve the pulled listings', async () => (await listed(v4Name('116.31.64.9', ZONE))).length > 0);
});

afterAll(async () => {
  await Promise.all([peer, hub].map((n) => n?.destroy()));
  tmp.cleanup();
});

describe('DNSBL queries (RFC 5782)', () => {
  it('starts on an ephemeral port of its own', () => {
    expect(port).toBeGreaterThan(0);
    expect(port).not.toBe(Number(new URL(hub.url).port));
  });

  it('fails the node start, leaving nothing open, when its port is taken', async () => {
    const dir = await initTestNode(tmp.path, { id: 'tw-ncc', config: { dnsbl: { port, zone: ZONE } } });
    await expect(startTestNode(dir)).rejects.toThrow(/EADDRINUSE/);
  });

  it('answers A 127.0.0.2 for listed IPv4 addresses and NXDOMAIN otherwise, over UDP and TCP', async () => {
    for (const tcp of [false, true]) {
      expect(await listed(v4Name('61.4.12.7', ZONE), tcp)).toEqual(['127.0.0.2']);
      expect(await listed(v4Name('116.31.64.200', ZONE), tcp)).toEqual(['127.0.0.2']); // inside the /24
      expect(await listed(v4Name('202.12.27.33', ZONE), tcp)).toEqual(['127.0.0.2']);
      const miss = await dig(port, v4Name('61.4.12.6', ZONE), 'A', { tcp });
      expect(miss.status).toBe('NXDOMAIN');
      expect(miss.flags).toContain('aa');
      // RFC 2308 §3: the SOA lets resolvers cache the negative answer.
      expect(miss.authority.map((r) => r.type)).toEqual(['SOA']);
    }
  });

  it('answers IPv6 nibble names (RFC 5782 §2.4)', async () => {
    expect(await listed(v6Name('2400:cb00::1', ZONE))).toEqual(['127.0.0.2']);
    expect(await listed(v6Name('2400:cb00:ffff::abcd', ZONE), true)).toEqual(['127.0.0.2']);
    expect(await listed(v6Name('2401:3800::5', ZONE))).toEqual(['127.0.0.2']);
    expect((await dig(port, v6Name('2401:3800::6', ZONE))).status).toBe('NXDOMAIN');
    expect((await dig(port, v6Name('2400:cb01::1', ZONE))).status).toBe('NXDOMAIN');
    // An IPv4-mapped address is the IPv4 address (PROTOCOL "Identifiers").
    expect(await listed(v6Name('::ffff:61.4.12.7', ZONE))).toEqual(['127.0.0.2']);
  });

  it('serves the RFC 5782 §5 test points', async () => {
    expect(await listed(v4Name('127.0.0.2', ZONE))).toEqual(['127.0.0.2']);
    const txt = await dig(port, v4Name('127.0.0.2', ZONE), 'TXT');
    expect(txt.status).toBe('NOERROR');
    expect(txt.answer[0]?.data).toMatch(/test point/);
    expect((await dig(port, v4Name('127.0.0.1', ZONE))).status).toBe('NXDOMAIN');
    expect(await listed(v6Name('::ffff:7f00:2', ZONE))).toEqual(['127.0.0.2']);
    expect((await dig(port, v6Name('::ffff:7f00:1', ZONE))).status).toBe('NXDOMAIN');
  });

  it('names every source and the lookup URL in TXT, the union of all covering pieces', async () => {
    const txt = async (address: string) => (await dig(port, v4Name(address, ZONE), 'TXT')).answer.map((r) => r.data);
    expect(await txt('61.4.12.7')).toEqual([`"Listed by cn-isc jp-dekyo; see ${hub.url}/lookup/61.4.12.7"`]);
    // 116.31.64.0/24 from jp-dekyo and 116.31.64.9/32 from cn-isc both cover it.
    expect(await txt('116.31.64.9')).toEqual([`"Listed by cn-isc jp-dekyo; see ${hub.url}/lookup/116.31.64.9"`]);
    expect(await txt('116.31.64.10')).toEqual([`"Listed by jp-dekyo; see ${hub.url}/lookup/116.31.64.10"`]);
    const v6 = await dig(port, v6Name('2400:cb00::1', ZONE), 'TXT', { tcp: true });
    expect(v6.answer.map((r) => r.data)).toEqual([`"Listed by jp-dekyo; see ${hub.url}/lookup/2400:cb00::1"`]);
    // A listed name has no other types: NODATA, not NXDOMAIN.
    const aaaa = await dig(port, v4Name('61.4.12.7', ZONE), 'AAAA');
    expect(aaaa.status).toBe('NOERROR');
    expect(aaaa.answer).toEqual([]);
  });

  it('has SOA and NS at the apex, the serial following the change log', async () => {
    const soa = await dig(port, ZONE, 'SOA');
    expect(soa.status).toBe('NOERROR');
    expect(soa.flags).toContain('aa');
    const [mname, rname, serial] = soa.answer[0]!.data.split(' ');
    expect([mname, rname]).toEqual(['localhost.', `hostmaster.${ZONE}.`]);
    expect(Number(serial)).toBeGreaterThan(0);
    const ns = await dig(port, ZONE, 'NS', { tcp: true });
    expect(ns.answer.map((r) => r.data)).toEqual(['localhost.']);
  });

  it('refuses names outside its zone', async () => {
    expect((await dig(port, 'example.com')).status).toBe('REFUSED');
    expect((await dig(port, `7.12.4.61.not${ZONE}`)).status).toBe('REFUSED');
    expect((await dig(port, '7.12.4.61.in-addr.arpa', 'PTR', { tcp: true })).status).toBe('REFUSED');
  });

  it('answers names above an address NODATA, for resolvers that minimise query names (RFC 9156)', async () => {
    const ancestor = await dig(port, `4.61.${ZONE}`);
    expect(ancestor.status).toBe('NOERROR');
    expect(ancestor.answer).toEqual([]);
    expect((await dig(port, `spam.${ZONE}`)).status).toBe('NXDOMAIN');
  });
});

describe('DNSBL follows the store', () => {
  it('serves a listing published after start, and stops serving a withdrawn one, without restart', async () => {
    const serialBefore = Number((await dig(port, ZONE, 'SOA')).answer[0]!.data.split(' ')[2]);
    hub.reportText('61.4.12.8\n');
    await hub.publish();
    await waitFor('61.4.12.8 listed in DNS', async () => (await listed(v4Name('61.4.12.8', ZONE))).length === 1);
    hub.delist(['202.12.27.33'], 'false-positive');
    await hub.publish();
    await waitFor('202.12.27.33 delisted in DNS', async () => (await dig(port, v4Name('202.12.27.33', ZONE))).status === 'NXDOMAIN');
    expect(Number((await dig(port, ZONE, 'SOA')).answer[0]!.data.split(' ')[2])).toBeGreaterThan(serialBefore);
  });

  it('follows changes another process makes to the store (spamx CLI beside the daemon)', async () => {
    expect((await runCli(['report', '--data', hubDir, '-'], '202.12.28.1\n')).code).toBe(0);
    expect((await runCli(['publish', '--data', hubDir])).code).toBe(0);
    await waitFor('202.12.28.1 listed in DNS', async () => (await listed(v4Name('202.12.28.1', ZONE))).length === 1);
  });

  it('follows a source change: the TXT names a second centre once it lists the address too', async () => {
    peer.reportText('116.31.64.10\n');
    await peer.publish();
    await hub.pull('cn-isc');
    const txt = async () => (await dig(port, v4Name('116.31.64.10', ZONE), 'TXT')).answer[0]?.data ?? '';
    await waitFor('116.31.64.10 credited to both centres', async () => (await txt()).startsWith('"Listed by cn-isc jp-dekyo;'));
  });
});

describe('DNSBL robustness', () => {
  const query = (id: number, name: string, type: RecordType = 'A') =>
    dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] });

  it('drops malformed UDP packets and keeps answering', async () => {
    const socket = createSocket('udp4');
    const received: Buffer[] = [];
    socket.on('message', (m) => received.push(m));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    try {
      const header = (qdcount: number) => Buffer.from([0x12, 0x34, 0x01, 0x00, 0, qdcount, 0, 0, 0, 0, 0, 0]);
      const malformed = [
        Buffer.alloc(0),
        Buffer.from([0x12]),
        Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00]),
        header(1), // a question promised, none given
        Buffer.concat([header(1), Buffer.from([0xc0, 0x0c, 0, 1, 0, 1])]), // a name pointing at itself
        Buffer.concat([header(1), Buffer.from([0x40, 0x61, 0, 0, 1, 0, 1])]), // a reserved label type
        Buffer.concat([header(1), Buffer.from([0x3f, ...Buffer.alloc(63, 0xff), 0, 0, 1, 0, 1])]), // not ASCII
        dnsPacket.encode({ type: 'response', id: 0x1234, questions: [{ type: 'A', name: v4Name('61.4.12.7', ZONE) }] }),
      ];
      let seed = 7;
      const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) & 0xff;
      const fuzz = Array.from({ length: 200 }, (_, i) => Buffer.from(Array.from({ length: (i * 37) % 1500 }, random)));
      // A valid query with its bytes flipped one at a time: mostly still parses, sometimes not.
      const valid = query(1, v4Name('61.4.12.7', ZONE));
      const flipped = Array.from({ length: valid.length }, (_, i) => Buffer.from(valid.map((b, j) => (j === i ? b ^ 0xff : b))));
      for (const packet of [...malformed, ...fuzz, ...flipped]) socket.send(packet, port, '127.0.0.1');
      socket.send(query(4242, v4Name('61.4.12.7', ZONE)), port, '127.0.0.1');
      const answer = await waitFor('an answer after the garbage', () => received.find((m) => m.readUInt16BE(0) === 4242));
      expect(dnsPacket.decode(answer).answers?.[0]).toMatchObject({ type: 'A', data: '127.0.0.2' });
      // None of the packets that do not parse, nor the response, got a reply (id 0x1234).
      expect(received.filter((m) => m.readUInt16BE(0) === 0x1234)).toEqual([]);
    } finally {
      socket.close();
    }
    expect(await listed(v4Name('61.4.12.7', ZONE))).toEqual(['127.0.0.2']);
  });

  it('answers several framed queries on one TCP connection, in order, split anywhere', async () => {
    const socket = await openTcp();
    try {
      const frames = [1, 2, 3].map((id) => frame(query(id, v4Name(id === 2 ? '61.4.12.6' : '61.4.12.7', ZONE))));
      const all = Buffer.concat(frames);
      socket.write(all.subarray(0, frames[0]!.length + 5)); // the second query split mid-message
      socket.write(all.subarray(frames[0]!.length + 5));
      const replies = await readFrames(socket, 3);
      expect(replies.map((r) => [r.id, r.rcode])).toEqual([
        [1, 'NOERROR'],
        [2, 'NXDOMAIN'],
        [3, 'NOERROR'],
      ]);
    } finally {
      socket.destroy();
    }
  });

  it('closes a TCP connection that sends garbage, and keeps serving', async () => {
    const garbage = await openTcp();
    const closed = new Promise<void>((resolve) => garbage.once('close', () => resolve()));
    garbage.write(frame(Buffer.from('this is not a DNS message at all')));
    await closed;
    // A stream that promises a long frame and breaks off: the server waits, the client leaves.
    const partial = await openTcp();
    partial.end(Buffer.from([0xff, 0xff, 1, 2, 3]));
    expect(await listed(v4Name('61.4.12.7', ZONE), true)).toEqual(['127.0.0.2']);
    partial.destroy();
  });

  it('closes TCP connections that send no complete query for a while, even trickling bytes (RFC 7766 §6.2.3)', async () => {
    const slow = await openTcp();
    let closed = false;
    slow.once('close', () => (closed = true));
    // A frame of 40 bytes promised, then one byte a second: never a whole query.
    slow.write(Buffer.from([0, 40]));
    const trickle = setInterval(() => slow.writable && slow.write(Buffer.from([0x61])), 1_000);
    try {
      await waitFor('the server to close a connection without a complete query', () => closed, { timeoutMs: 60_000, intervalMs: 200 });
    } finally {
      clearInterval(trickle);
    }
  });

  function frame(message: Buffer): Buffer {
    const length = Buffer.alloc(2);
    length.writeUInt16BE(message.length);
    return Buffer.concat([length, message]);
  }

  async function openTcp(): Promise<Socket> {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    // Flowing, so the server's FIN is seen ('end', then 'close') even when we read nothing.
    socket.resume();
    return socket;
  }

  async function readFrames(socket: Socket, count: number): Promise<(DecodedPacket & { rcode?: string })[]> {
    let buffer = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => (buffer = Buffer.concat([buffer, d])));
    const messages: (DecodedPacket & { rcode?: string })[] = [];
    await waitFor(`${count} framed replies`, () => {
      while (buffer.length >= 2 && buffer.length >= 2 + buffer.readUInt16BE(0)) {
        const length = buffer.readUInt16BE(0);
        messages.push(dnsPacket.decode(buffer.subarray(2, 2 + length)));
        buffer = buffer.subarray(2 + length);
      }
      return messages.length >= count;
    });
    return messages;
  }
});

describe('rbldnsd export', () => {
  const rbldnsdDir = tempDir('spamx-rbldnsd-');
  let rbldnsd: RbldnsdProcess | undefined;

  afterAll(async () => {
    await rbldnsd?.stop();
    rbldnsdDir.cleanup();
  });

  it('loads into the real rbldnsd, which then answers A queries as our DNSBL does', async () => {
    const get = async (query: string) => {
      const res = await fetch(`${hub.url}/v1/blocklist?format=rbldnsd${query}`);
      expect(res.status).toBe(200);
      return res.text();
    };
    const v4 = await get('');
    const v6 = await get('&family=6');
    expect(v4).toMatch(/^\$TTL 300$/m);
    expect(v4).toMatch(/^\$TIMESTAMP \d{4}:\d\d:\d\d:\d\d:\d\d:\d\d$/m);
    expect(v4).toContain(`:127.0.0.2:Listed by spamx, see ${hub.url}/lookup/$\n`);
    expect(v4).not.toMatch(/^2400:/m);
    expect(v6).toMatch(/^2400:cb00::\/32$/m);
    rbldnsd = await startRbldnsd(rbldnsdDir.path, ZONE, [
      { type: 'ip4set', data: v4 },
      { type: 'ip6trie', data: v6 },
    ]);
    const samples = [
      ...['61.4.12.7', '61.4.12.8', '61.4.12.6', '61.4.12.9', '116.31.64.0', '116.31.64.9', '116.31.64.255', '116.31.65.0', '116.31.63.255'],
      ...['202.12.27.33', '202.12.28.1', '202.12.28.2', '127.0.0.2', '127.0.0.1', '1.1.1.1'],
    ].map((a) => v4Name(a, ZONE));
    samples.push(...['2400:cb00::', '2400:cb00:ffff:ffff::1', '2400:cb01::', '2401:3800::5', '2401:3800::4', '::ffff:7f00:2', '::ffff:7f00:1'].map((a) => v6Name(a, ZONE)));
    const ours = await Promise.all(samples.map((name) => digA(port, name)));
    const theirs = await Promise.all(samples.map((name) => digA(rbldnsd!.port, name)));
    expect(theirs).toEqual(ours);
    expect(ours.filter((a) => a.length > 0).length).toBeGreaterThanOrEqual(10);
    expect(ours.filter((a) => a.length === 0).length).toBeGreaterThanOrEqual(8);
    // The TXT template points at our lookup for the queried address.
    const txt = await dig(rbldnsd.port, v4Name('61.4.12.7', ZONE), 'TXT');
    expect(txt.answer[0]?.data).toBe(`"Listed by spamx, see ${hub.url}/lookup/61.4.12.7"`);
  });
});
