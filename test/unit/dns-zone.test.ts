import { describe, expect, it } from 'vitest';
import { compareSerials, positionOfSerial, serialOf } from '../../src/core/dns-serial.js';
import { findTsig, signRequest, TSIG_ERROR, TsigSigner, verifyRequest, type TsigKey } from '../../src/core/dns-tsig.js';
import { ClusterCollector, clusterNames, pieceOfKey, type ZoneName, type ZonePiece } from '../../src/core/dns-zone-records.js';
import { prefixKey } from '../../src/core/prefix.js';
import { DnsblIndex } from '../../src/read/dnsbl-index.js';
import dnsPacket from 'dns-packet';
import { createHmac } from 'node:crypto';

describe('SOA serials (RFC 1982)', () => {
  it('compares across the 32-bit wrap', () => {
    expect(compareSerials(1, 2)).toBe(-1);
    expect(compareSerials(2, 1)).toBe(1);
    expect(compareSerials(0xffff_ffff, 0)).toBe(-1);
    expect(compareSerials(0, 0xffff_ffff)).toBe(1);
    expect(compareSerials(7, 7)).toBe(0);
    // RFC 1982 §3.2: exactly 2^31 apart is undefined.
    expect(compareSerials(0, 2 ** 31)).toBeUndefined();
  });

  it('maps a serial back to its change-log position, past the wrap', () => {
    expect(serialOf(2 ** 32 + 5)).toBe(5);
    expect(positionOfSerial(5, 2 ** 32 + 10)).toBe(2 ** 32 + 5);
    expect(positionOfSerial(0xffff_fffe, 2 ** 32 + 2)).toBe(2 ** 32 - 2);
    expect(positionOfSerial(10, 10)).toBe(10);
    // A serial ahead of ours came from elsewhere; one behind the log's start is not a position.
    expect(positionOfSerial(11, 10)).toBeUndefined();
    expect(positionOfSerial(0xffff_fff0, 10)).toBeUndefined();
  });
});

/** A secondary's view of the names: answers an address name by RFC 4592, the name itself, else the closest encloser's wildcard. */
function secondaryOf(names: readonly ZoneName[]): (labels: readonly string[]) => string | undefined {
  const owners = new Map(names.map((n) => [n.owner, n.sources]));
  const nodes = new Set<string>();
  for (const owner of owners.keys()) {
    const parts = owner.split('.');
    for (let i = 0; i < parts.length; i++) nodes.add(parts.slice(i).join('.'));
  }
  return (labels) => {
    const name = labels.join('.');
    if (owners.has(name)) return owners.get(name);
    for (let i = 1; i <= labels.length; i++) {
      const encloser = labels.slice(i).join('.');
      if (encloser === '' || nodes.has(encloser)) return owners.get(encloser === '' ? '*' : `*.${encloser}`);
    }
    return undefined;
  };
}

function v4Labels(address: number): string[] {
  return [address & 255, (address >>> 8) & 255, (address >>> 16) & 255, address >>> 24].map(String);
}

describe('zone names of the DNSBL (RFC 4592 wildcards, closest encloser)', () => {
  it('expands a /20 into 16 /24 wildcards and a /32 into its name', () => {
    const names = clusterNames([{ family: 4, start: BigInt(0x741f4000), length: 20, sources: 'a' }]);
    expect(names.map((n) => n.owner)).toEqual(Array.from({ length: 16 }, (_, i) => `*.${64 + i}.31.116`));
    expect(clusterNames([{ family: 4, start: BigInt(0x3d040c07), length: 32, sources: 'a' }])).toEqual([{ owner: '7.12.4.61', sources: 'a', address: '61.4.12.7' }]);
    const v6 = clusterNames([{ family: 6, start: BigInt('0x2400cb00000000000000000000000000'), length: 30, sources: 'a' }]);
    expect(v6.map((n) => n.owner).sort()).toEqual(['*.0.0.b.c.0.0.4.2', '*.1.0.b.c.0.0.4.2', '*.2.0.b.c.0.0.4.2', '*.3.0.b.c.0.0.4.2']);
  });

  it('adds the wildcard a more specific entry needs under a listed range', () => {
    const names = clusterNames([
      { family: 4, start: BigInt(0x3d040000), length: 16, sources: 'b' },
      { family: 4, start: BigInt(0x3d040c07), length: 32, sources: 'a' },
    ]);
    expect(names).toEqual(
      expect.arrayContaining([
        { owner: '*.4.61', sources: 'b', address: undefined },
        { owner: '*.12.4.61', sources: 'b', address: undefined },
        { owner: '7.12.4.61', sources: 'a b', address: '61.4.12.7' },
      ]),
    );
    expect(names).toHaveLength(3);
  });

  it('answers every address as the DNSBL index does, for random overlapping pieces', () => {
    let seed = 17;
    const random = (n: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31), seed % n);
    for (let round = 0; round < 30; round++) {
      const index = new DnsblIndex();
      const pieces = new Map<string, string>();
      // Pieces within 61.4.0.0/16, so they overlap often; lengths from /9 to /32.
      for (let i = 0; i < 12; i++) {
        const length = 9 + random(24);
        const address = (0x3d040000 | (random(65_536) << 0)) >>> 0;
        const start = length === 0 ? 0 : (address & (-1 << (32 - length))) >>> 0;
        const sources = ['a', 'b', 'c'][random(3)]!;
        pieces.set(prefixKey(4, start, length), sources);
      }
      for (const [key, sources] of pieces) index.set(key, sources);
      const names: ZoneName[] = [];
      const collector = new ClusterCollector((cluster: ZonePiece[]) => names.push(...clusterNames(cluster)));
      for (const key of [...pieces.keys()].sort()) collector.add(pieceOfKey(key, pieces.get(key)!)!);
      collector.finish();
      const secondary = secondaryOf(names);
      for (let probe = 0; probe < 400; probe++) {
        const address = (random(4) === 0 ? 0x3d000000 | random(0x100_0000) : 0x3d040000 | random(0x1_0000)) >>> 0;
        expect(secondary(v4Labels(address)), `round ${round}, ${address}`).toBe(index.lookupV4(address));
      }
    }
  });
});

describe('IPv4 and IPv6 names in one tree', () => {
  const v6Labels = (hex: string) => [...hex.padStart(32, '0')].reverse();
  const v6Hex = (n: bigint) => n.toString(16).padStart(32, '0');

  it('keeps IPv6 names off IPv4 wildcards whose labels read as nibbles, and the reverse', () => {
    let seed = 5;
    const random = (n: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31), seed % n);
    for (let round = 0; round < 20; round++) {
      const index = new DnsblIndex();
      const pieces = new Map<string, string>();
      // IPv4 pieces in 2.0.0.0/8 with small octets (labels of one digit), IPv6 ones in 2400::/12.
      for (let i = 0; i < 6; i++) {
        const length = 9 + random(24);
        const address = ((2 << 24) | (random(10) << 16) | (random(10) << 8) | random(256)) >>> 0;
        pieces.set(prefixKey(4, (address & (-1 << (32 - length))) >>> 0, length), ['a', 'b'][random(2)]!);
      }
      for (let i = 0; i < 4; i++) {
        const length = 16 + random(113);
        const address = (0x240n << 116n) | (BigInt(random(16)) << 112n) | (BigInt(random(65_536)) << 96n) | BigInt(random(1 << 30));
        const mask = ((1n << BigInt(length)) - 1n) << BigInt(128 - length);
        pieces.set(prefixKey(6, address & mask, length), ['c', 'd'][random(2)]!);
      }
      for (const [key, sources] of pieces) index.set(key, sources);
      const names: ZoneName[] = [];
      const collector = new ClusterCollector((cluster: ZonePiece[]) => names.push(...clusterNames(cluster)));
      for (const key of [...pieces.keys()].sort()) collector.add(pieceOfKey(key, pieces.get(key)!)!);
      collector.finish();
      const secondary = secondaryOf(names.filter((n) => !n.structure).concat(names.filter((n) => n.structure).map((n) => ({ ...n, sources: undefined as never }))));
      for (let probe = 0; probe < 300; probe++) {
        const v4 = ((2 << 24) | (random(12) << 16) | (random(12) << 8) | random(256)) >>> 0;
        expect(secondary(v4Labels(v4)), `round ${round}, v4 ${v4}`).toBe(index.lookupV4(v4));
        const v6 = (0x24n << 120n) | (BigInt(random(256)) << 112n) | (BigInt(random(65_536)) << 96n) | BigInt(random(1 << 30));
        expect(secondary(v6Labels(v6Hex(v6))), `round ${round}, v6 ${v6Hex(v6)}`).toBe(index.lookupV6(v6Hex(v6)));
      }
    }
  });
});

describe('TSIG (RFC 8945, HMAC-SHA256)', () => {
  const key: TsigKey = { name: 'spamx-xfr', secret: Buffer.from('q0k7lW3Z2xvV1m3pQyR0d5cN8bT6hJ4fG2sA9eU1iOw=', 'base64') };
  const query = dnsPacket.encode({ type: 'query', id: 4242, questions: [{ type: 'AXFR', name: 'bl.test' }] });
  const now = 1_796_600_000;

  it('verifies a signed request, and says BADSIG, BADKEY or BADTIME when it should', () => {
    const { message } = signRequest(query, key, now);
    const record = findTsig(message)!;
    expect(record).toMatchObject({ keyName: 'spamx-xfr', algorithm: 'hmac-sha256', timeSigned: now, originalId: 4242 });
    expect(verifyRequest(message, record, key, now + 10).ok).toBe(true);
    const tampered = Buffer.from(message);
    tampered[13] = tampered[13]! ^ 1;
    expect(verifyRequest(tampered, findTsig(tampered)!, key, now)).toMatchObject({ ok: false, error: TSIG_ERROR.BADSIG });
    expect(verifyRequest(message, record, { ...key, name: 'other' }, now)).toMatchObject({ ok: false, error: TSIG_ERROR.BADKEY });
    expect(verifyRequest(message, record, key, now + 301)).toMatchObject({ ok: false, error: TSIG_ERROR.BADTIME });
  });

  it('signs each message of a response stream over the prior MAC (§5.3.1)', () => {
    const { mac: requestMac } = signRequest(query, key, now);
    const signer = new TsigSigner(key, requestMac, () => now);
    const first = dnsPacket.encode({ type: 'response', id: 4242, answers: [{ type: 'A', name: 'x.bl.test', data: '127.0.0.2' }] });
    const second = dnsPacket.encode({ type: 'response', id: 4242, answers: [{ type: 'A', name: 'y.bl.test', data: '127.0.0.2' }] });
    const signed1 = signer.sign(first);
    const signed2 = signer.sign(second);
    const mac1 = findTsig(signed1)!.mac;
    const u16 = (n: number) => Buffer.from([n >> 8, n & 255]);
    const time = Buffer.from([0, 0, 0, 0, 0, 0]);
    time.writeUInt32BE(now, 2);
    // The second MAC, computed from the RFC's words: prior MAC (with its length), the message, the timers.
    const expected = createHmac('sha256', key.secret).update(u16(32)).update(mac1).update(second).update(time).update(u16(300)).digest();
    expect(findTsig(signed2)!.mac.equals(expected)).toBe(true);
  });
});
