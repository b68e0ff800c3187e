import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpamxNode } from '../../src/daemon.js';
import { loadOperatorToken } from '../../src/config/identity.js';
import { listZoneSecondaries } from '../../src/store/zone-secondary-store.js';
import { ask, runTool, soaSerial, startKnot, startNsd, type Secondary } from '../helpers/dns-secondaries.js';
import { v4Name, v6Name } from '../helpers/dig.js';
import { freePort } from '../helpers/free-port.js';
import { runCli } from '../helpers/spawn.js';
import { initTestNode, pinTestPeer, PUBLIC_FEEDS, startTestNode } from '../helpers/nodes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * The DNSBL zone served to real DNS secondaries: Knot DNS (transfers signed with TSIG) and NSD
 * (allowed by its address, 127.0.0.3) pull it by AXFR, answer as spamx's own DNSBL does, and
 * after each change follow it by NOTIFY and IXFR. Transfers from elsewhere, or with a bad TSIG,
 * are refused.
 */
const ZONE = 'bl.test';
const DAY = 86_400_000;
const TSIG = { name: 'spamx-xfr', secret: 'q0k7lW3Z2xvV1m3pQyR0d5cN8bT6hJ4fG2sA9eU1iOw=' };
const tmp = tempDir();
let offset = 0;
const clock = () => Date.now() + offset;
let peer: SpamxNode;
let hub: SpamxNode;
let port: number;
let secondaries: Secondary[] = [];

/** Names asked of spamx and of each secondary: listed, unlisted, range-covered, IPv6, and under a range holding a more specific entry. */
const SAMPLE = [
  '61.4.12.7', // a /32 inside a /16: both sources
  '61.4.12.8', // in the /16, under the node the /32 makes: the closest-encloser wildcard
  '61.4.13.1', // in the /16 elsewhere
  '61.5.0.1', // unlisted
  '116.31.64.9', // a /32 of the peer inside the hub's /20
  '116.31.64.10',
  '116.31.79.255', // the /20's last /24
  '116.31.80.1', // just past the /20
  '202.12.27.33',
  '127.0.0.2', // RFC 5782 test point
  '127.0.0.1',
  '36.110.4.17', // one of many /32s (a zone of many messages)
  '36.110.4.18',
  '2400:cb00::1',
  '2400:cb00:ffff::abcd',
  '2401:3800::5',
  '2401:3800::6',
  '2400:cb01::1',
  // An IPv4 range whose labels read as nibbles (2.4.0.0/16: `*.4.2`): IPv6 2400::/12 must not match it.
  '2.4.0.7',
  '2.4.9.9',
  '2.4.200.1',
  '2.5.0.1',
  '2401:1::1',
  '2400:1::1',
  '2409::1',
];

function nameOf(address: string): string {
  return address.includes(':') ? v6Name(address, ZONE) : v4Name(address, ZONE);
}

/**
 * The A and TXT answers for a name, comparable across servers. A wildcard answers every address
 * under it with the same TXT (RFC 4592), so the lookup link's address is cut off: the sources
 * before it must be the same.
 */
async function answers(address: string, server: string, serverPort: number): Promise<unknown> {
  const name = nameOf(address);
  const a = await ask(server, serverPort, name, 'A');
  const txt = await ask(server, serverPort, name, 'TXT');
  return { address, status: a.status, a: a.data, txtStatus: txt.status, txt: txt.data.map((t) => t.replace(/\/lookup(\/[^"]*)?"$/, '/lookup"')) };
}

async function sameAnswers(secondary: Secondary, sample: readonly string[]): Promise<boolean> {
  const want = await Promise.all(sample.map((address) => answers(address, '127.0.0.1', port)));
  const got = await Promise.all(sample.map((address) => answers(address, secondary.address, secondary.port)));
  return JSON.stringify(want) === JSON.stringify(got);
}

async function hubSerial(): Promise<number> {
  return (await soaSerial('127.0.0.1', port, ZONE))!;
}

beforeAll(async () => {
  const knotPort = await freePort();
  const nsdPort = await freePort();
  peer = await startTestNode(await initTestNode(tmp.path, { id: 'cn-isc', config: PUBLIC_FEEDS }));
  const hubDir = await initTestNode(tmp.path, {
    id: 'jp-dekyo',
    config: {
      dnsbl: {
        port: 0,
        zone: ZONE,
        transfer: { allow: ['127.0.0.3/32'], tsig: { ...TSIG, algorithm: 'hmac-sha256' } },
        notify: [`127.0.0.1:${knotPort}`, `127.0.0.3:${nsdPort}`],
      },
    } as never,
  });
  hub = await startTestNode(hubDir, clock);
  port = hub.dnsblPort!;
  peer.reportText('61.4.12.7\n116.31.64.9\n');
  await peer.publish();
  const many = Array.from({ length: 600 }, (_, i) => `36.110.${4 + (i >> 8)}.${(i & 255) + 1}`).join('\n');
  hub.reportText(`61.4.12.7\n61.4.0.0/16\n116.31.64.0/20\n202.12.27.33\n2.4.0.0/16\n2400:cb00::/32\n2401:3800::5\n${many}\n`);
  await hub.publish();
  await pinTestPeer(hub, peer);
  expect((await hub.pull('cn-isc'))?.error).toBeUndefined();
  hub.project();
  await waitFor('the DNSBL to serve the pulled listings', async () => (await ask('127.0.0.1', port, nameOf('116.31.64.9'), 'TXT')).data.join().includes('cn-isc'));
  const primary = { address: '127.0.0.1', port };
  const knotDir = join(tmp.path, 'knot');
  const nsdDir = join(tmp.path, 'nsd');
  mkdirSync(knotDir);
  mkdirSync(nsdDir);
  secondaries = [
    startKnot({ dir: knotDir, zone: ZONE, address: '127.0.0.1', port: knotPort, primary, tsig: TSIG }),
    startNsd({ dir: nsdDir, zone: ZONE, address: '127.0.0.3', port: nsdPort, primary }),
  ];
}, 120_000);

afterAll(async () => {
  await Promise.all(secondaries.map((s) => s.stop()));
  await Promise.all([peer, hub].map((n) => n?.destroy()));
  tmp.cleanup();
}, 60_000);

/**
 * Waits until every secondary has the hub's serial, then until it answers the sample as the hub
 * does; returns the ms from `since` (the change) until the last secondary had the serial.
 */
async function converged(what: string, sample: readonly string[], since = Date.now()): Promise<number> {
  const serial = await hubSerial();
  let reached = 0;
  await Promise.all(
    secondaries.map(async (secondary) => {
      await waitFor(`${secondary.name} at serial ${serial} (${what})`, async () => (await soaSerial(secondary.address, secondary.port, ZONE)) === serial, { timeoutMs: 90_000, intervalMs: 100 })
        .then(() => (reached = Math.max(reached, Date.now() - since)))
        .then(() => waitFor(`${secondary.name} to answer as spamx (${what})`, () => sameAnswers(secondary, sample), { timeoutMs: 30_000, intervalMs: 250 }))
        .catch((err: Error) => {
          throw new Error(`${err.message}\n--- ${secondary.name} log ---\n${secondary.log().slice(-3000)}`);
        });
    }),
  );
  return reached;
}

describe('zone transfers to DNS secondaries (AXFR, IXFR, NOTIFY, TSIG)', () => {
  it('Knot (TSIG) and NSD (by address) transfer the zone by AXFR and answer every sampled address as spamx does', async () => {
    await converged('first AXFR', SAMPLE);
    for (const secondary of secondaries) {
      // The samples: listed, unlisted, range-covered, IPv6, and under a range with a more specific entry.
      expect(await answers('61.4.12.7', secondary.address, secondary.port)).toMatchObject({ status: 'NOERROR', a: ['127.0.0.2'], txt: [expect.stringContaining('Listed by cn-isc jp-dekyo')] });
      expect(await answers('61.4.12.8', secondary.address, secondary.port)).toMatchObject({ status: 'NOERROR', txt: [expect.stringContaining('Listed by jp-dekyo;')] });
      expect(await answers('61.5.0.1', secondary.address, secondary.port)).toMatchObject({ status: 'NXDOMAIN', a: [] });
      expect(await answers('2400:cb00:ffff::abcd', secondary.address, secondary.port)).toMatchObject({ status: 'NOERROR', a: ['127.0.0.2'] });
    }
    const rows = listZoneSecondaries(hub.store);
    expect(rows.find((r) => r.secondary.startsWith('127.0.0.1:'))?.lastTransferKind).toMatch(/^[AI]XFR$/);
    expect(rows.find((r) => r.secondary.startsWith('127.0.0.3:'))?.lastTransferKind).toMatch(/^[AI]XFR$/);
  });

  it('after a listing, a delisting and an expiry, NOTIFY leads each secondary to an IXFR, and its answers match again', async () => {
    const timings: Record<string, number> = {};
    const ixfrsBefore = ixfrCount();
    const iso = (ms: number) => new Date(ms).toISOString();
    // A listing (with one that expires in a day), under the /16 and alone.
    hub.reportText(`prefix,expires\n61.4.200.0/24,${iso(clock() + 30 * DAY)}\n114.114.114.114,${iso(clock() + DAY)}\n2401:3800::6,${iso(clock() + 30 * DAY)}\n`);
    // An amber listing: not for everyone, so neither in the DNSBL nor in the zone.
    hub.reportText('114.114.115.115\n61.4.12.9\n', { tlp: 2 });
    await hub.publish();
    let since = Date.now();
    hub.project();
    const changed = ['61.4.200.1', '61.4.201.1', '114.114.114.114', '114.114.115.115', '61.4.12.9', '2401:3800::6', ...SAMPLE];
    await waitFor('the DNSBL to serve the listing', async () => (await ask('127.0.0.1', port, nameOf('114.114.114.114'), 'A')).status === 'NOERROR');
    timings.listing = await converged('listing', changed, since);
    expect((await ask('127.0.0.1', port, nameOf('114.114.115.115'), 'A')).status).toBe('NXDOMAIN');
    for (const secondary of secondaries) expect((await ask(secondary.address, secondary.port, nameOf('114.114.115.115'), 'A')).status).toBe('NXDOMAIN');
    // A delisting.
    hub.delist(['202.12.27.33', '61.4.12.7'], 'false-positive');
    await hub.publish();
    since = Date.now();
    hub.project();
    await waitFor('the DNSBL to drop the delisted', async () => (await ask('127.0.0.1', port, nameOf('202.12.27.33'), 'A')).status === 'NXDOMAIN');
    timings.delisting = await converged('delisting', changed, since);
    // An expiry: two days later, the one-day listing is gone.
    offset += 2 * DAY;
    since = Date.now();
    hub.project();
    await waitFor('the DNSBL to drop the expired', async () => (await ask('127.0.0.1', port, nameOf('114.114.114.114'), 'A')).status === 'NXDOMAIN');
    timings.expiry = await converged('expiry', changed, since);
    console.info(`zone-transfer: both secondaries had the new serial after each change within (ms): ${JSON.stringify(timings)}`);
    // Each change reached both secondaries by IXFR (spamx's record of what it served, and the secondaries' logs).
    expect(ixfrCount() - ixfrsBefore).toBeGreaterThanOrEqual(secondaries.length * 3);
    const rows = listZoneSecondaries(hub.store);
    const serial = await hubSerial();
    for (const secondary of secondaries) {
      const row = rows.find((r) => r.secondary === `${secondary.address}:${secondary.port}`);
      expect(row).toMatchObject({ lastTransferKind: 'IXFR', lastSerial: serial });
      expect(row?.lastAckAt).toBeGreaterThan(0);
    }
    expect(secondaries[0]!.log()).toMatch(/IXFR, incoming/);
    // RFC 1996 makes it prompt: each secondary had the change within 10 s (measured figures logged above).
    for (const ms of Object.values(timings)) expect(ms).toBeLessThan(10_000);
  }, 400_000);

  it('refuses a transfer from an address not allowed, and one with a bad TSIG, and counts them', async () => {
    const fromElsewhere = await runTool('dig', ['-b', '127.0.0.2', '@127.0.0.1', '-p', String(port), ZONE, 'AXFR']);
    expect(fromElsewhere.stdout).toMatch(/Transfer failed/);
    const status = await runTool('dig', ['-b', '127.0.0.2', '@127.0.0.1', '-p', String(port), '+tcp', ZONE, 'AXFR', '+comments']);
    expect(status.stdout).not.toMatch(/IN\s+SOA/);
    const badKey = await runTool('dig', ['-y', `hmac-sha256:${TSIG.name}:${Buffer.from('not the secret').toString('base64')}`, '@127.0.0.1', '-p', String(port), ZONE, 'AXFR']);
    expect(badKey.stdout).toMatch(/BADSIG/);
    expect(badKey.stdout).toMatch(/Transfer failed/);
    // kdig with the right key, from an address not allowed: TSIG alone lets it in, and verifies every message.
    const signed = await runTool('kdig', ['-b', '127.0.0.2', '-y', `hmac-sha256:${TSIG.name}:${TSIG.secret}`, '@127.0.0.1', '-p', String(port), ZONE, 'AXFR']);
    expect(signed.stdout).toMatch(/Received \d+ B \((\d+) messages/);
    expect(Number(/\((\d+) messages/.exec(signed.stdout)![1])).toBeGreaterThan(1);
    expect(signed.stdout + signed.stderr).not.toMatch(/failed|BADSIG|BADKEY|BADTIME|WARNING/);
    const rows = listZoneSecondaries(hub.store);
    expect(rows.find((r) => r.secondary === '127.0.0.2')?.refused).toBeGreaterThanOrEqual(2);
    expect(rows.find((r) => r.secondary === '127.0.0.1:' + secondaries[0]!.port)?.refused ?? 0).toBeGreaterThanOrEqual(1);
    const metrics = await (await fetch(`${hub.url}/metrics`, { headers: { authorization: `Bearer ${loadOperatorToken(hub.config.paths)}` } })).text();
    expect(metrics).toMatch(/spamx_zone_transfers_refused_total\{reason="not_allowed"\} [1-9]/);
    expect(metrics).toMatch(/spamx_zone_transfers_refused_total\{reason="tsig"\} [1-9]/);
    expect(metrics).toMatch(/spamx_zone_notify_acked_total [1-9]/);
    expect(metrics).toMatch(/spamx_zone_transfers_total\{kind="IXFR",outcome="ok"\} [1-9]/);
  });

  it('shows each secondary in GET /v1/status and `spamx status`', async () => {
    const token = loadOperatorToken(hub.config.paths);
    const status = (await (await fetch(`${hub.url}/v1/status`, { headers: { authorization: `Bearer ${token}` } })).json()) as { dnsSecondaries: { secondary: string; lastSerial: number; lastTransferKind: string; lastAckAt: string }[] };
    const serial = await hubSerial();
    for (const secondary of secondaries) {
      expect(status.dnsSecondaries).toContainEqual(expect.objectContaining({ secondary: `${secondary.address}:${secondary.port}`, lastSerial: serial, lastTransferKind: 'IXFR', lastAckAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) }));
    }
    const text = await runCli(['status', '--data', hub.config.paths.dir]);
    expect(text.stdout).toMatch(/DNS secondaries: \d+/);
    expect(text.stdout).toContain(`127.0.0.3:${secondaries[1]!.port}: serial ${serial}, NOTIFY acknowledged`);
  });
});

function ixfrCount(): number {
  return secondaries.reduce((n, s) => n + (s.name === 'knot' ? (s.log().match(/IXFR, incoming, remote [^\n]*finished/g) ?? []).length : 0), 0) + nsdIxfrs();
}

/** NSD does not log the kind; spamx's own records say IXFR (checked above), so count its commits. */
function nsdIxfrs(): number {
  return secondaries.reduce((n, s) => n + (s.name === 'nsd' ? (s.log().match(/committed "received update to serial/g) ?? []).length : 0), 0);
}
