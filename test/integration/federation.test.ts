import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressesIn, inCountries, mergeRanges, prefixRanges, v4Range } from '../helpers/origin-rows.js';
import { runCli, spawnServe, type ServeProcess } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * Four centres as four real `spamx serve` processes on ephemeral loopback ports, set up with the
 * real CLI, publishing and pulling on their own cron schedules over HTTP. They must converge on
 * one merged list equal to the union the test computes itself.
 */
const CENTRES = ['jp-dekyo', 'cn-isc', 'hk-ofta', 'tw-ncc'] as const;
const COUNTRY: Record<(typeof CENTRES)[number], string> = { 'jp-dekyo': 'JP', 'cn-isc': 'CN', 'hk-ofta': 'HK', 'tw-ncc': 'TW' };
const EVERY_2S = '*/2 * * * * *';
const tmp = tempDir();
const nodes = new Map<string, { dir: string; serve: ServeProcess; token: string }>();

/** Deterministic public unicast test data: 61.0.0.0/8 and 202.12.0.0/16 are APNIC unicast space. */
function lcg(seed: number) {
  let s = seed;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
}
const rand = lcg(7);
const pool = Array.from({ length: 120 }, (_, i) => `61.${10 + (i % 50)}.${Math.floor(rand() * 256)}.${1 + (i % 250)}`);
const reported = new Map<string, string[]>(
  CENTRES.map((id, c) => [
    id,
    [
      ...pool.filter((_, i) => (i + c) % 3 !== 0), // overlapping shares of a common pool
      `202.12.${30 + c}.0/24`, // one prefix only this centre lists
      `202.12.${40 + c}.${9 + c}`,
    ],
  ]),
);
// Each centre's monitors also see sources in the partners' countries, picked from the origin data.
for (const [c, id] of CENTRES.entries()) {
  for (const other of CENTRES) if (other !== id) reported.get(id)!.push(...addressesIn(COUNTRY[other], 8).slice(2 * c, 2 * c + 2));
}
// Input in a non-canonical IPv6 form; the canonical form is written out by hand (RFC 5952).
reported.get('hk-ofta')!.push('2400:CB00:0002:0:0:0:0:1');
const CANONICAL_V6 = '2400:cb00:2::1/128';
const BAD_LINES = ['10.1.2.3', '192.168.7.7', '192.0.2.55', '198.51.100.0/24', '2001:db8::1', 'not-an-ip', '61.4.12.1/24', '61.0.0.0/8'];

const canonical = (line: string) => (line.includes('2400:CB00') ? CANONICAL_V6 : line.includes('/') ? line : `${line}/32`);
const union = (lists: Iterable<string[]>) => [...new Set([...lists].flat().map(canonical))].sort();

async function blocklist(url: string): Promise<string[]> {
  const res = await fetch(`${url}/v1/blocklist?format=txt`);
  return (await res.text()).split('\n').filter((l) => l && !l.startsWith('#')).sort();
}

async function operator(id: string, path: string, body: string, type: string) {
  const n = nodes.get(id)!;
  const res = await fetch(`${n.serve.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${n.token}`, 'content-type': type }, body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function converged(expected: string[]): Promise<boolean> {
  const lists = await Promise.all([...nodes.values()].map((n) => blocklist(n.serve.url)));
  return lists.every((l) => JSON.stringify(l) === JSON.stringify(expected));
}

beforeAll(async () => {
  await Promise.all(
    CENTRES.map(async (id) => {
      const dir = join(tmp.path, id);
      const init = await runCli(['init', '--data', dir, '--id', id, '--country', COUNTRY[id], '--port', '0', '--publish-schedule', EVERY_2S, '--public']);
      expect(init.code, init.stderr).toBe(0);
      const serve = await spawnServe(dir);
      nodes.set(id, { dir, serve, token: readFileSync(join(dir, 'operator.token'), 'utf8').trim() });
    }),
  );
  for (const [id, n] of nodes) {
    for (const [other, o] of nodes) {
      if (other === id) continue;
      const add = await runCli(['peer', 'add', '--data', n.dir, o.serve.url, '--schedule', EVERY_2S]);
      expect(add.code, add.stderr).toBe(0);
      expect(add.stdout).toContain(`pinned ${other}`);
      expect(add.stdout).toMatch(/key fingerprint \(RFC 7638 SHA-256\): [A-Za-z0-9_-]{43}/);
    }
  }
});

afterAll(async () => {
  const codes = await Promise.all([...nodes.values()].map((n) => n.serve.stop()));
  tmp.cleanup();
  expect(codes).toEqual([0, 0, 0, 0]); // SIGTERM shuts each node down cleanly
});

describe('four centres exchanging batches', () => {
  it('refuses bad report lines, each with its reason', async () => {
    const res = await operator('jp-dekyo', '/v1/reports', `${BAD_LINES.join('\n')}\n`, 'text/plain');
    expect(res.status).toBe(422);
    const codes = (res.body.refused as { code: string }[]).map((r) => r.code);
    expect(codes).toEqual([
      'PREFIX_SPECIAL_PURPOSE',
      'PREFIX_SPECIAL_PURPOSE',
      'PREFIX_SPECIAL_PURPOSE',
      'PREFIX_SPECIAL_PURPOSE',
      'PREFIX_SPECIAL_PURPOSE',
      'PREFIX_INVALID',
      'PREFIX_HOST_BITS',
      'PREFIX_TOO_SHORT',
    ]);
  });

  it('converges on the union of what every centre reported', async () => {
    for (const [id, lines] of reported) {
      const res = await operator(id, '/v1/reports', `# ${id} monitors\n${lines.join('\n')}\n`, 'text/plain');
      expect(res.body.accepted).toBe(lines.length);
    }
    const expected = union(reported.values());
    expect(expected).toContain(CANONICAL_V6);
    await waitFor('all four merged lists to equal the union', () => converged(expected), { timeoutMs: 90_000, intervalMs: 500 });
    for (const n of nodes.values()) {
      const feeds = (await (await fetch(`${n.serve.url}/v1/feeds`)).json()) as { publisher: string; size: number }[];
      expect(feeds.map((f) => f.publisher).sort()).toEqual([...CENTRES].sort());
    }
  });

  it("each centre's jurisdiction is what its partners list inside its own country, with each partner named", async () => {
    for (const id of CENTRES) {
      const n = nodes.get(id)!;
      const res = await fetch(`${n.serve.url}/v1/jurisdiction`, { headers: { authorization: `Bearer ${n.token}` } });
      expect(res.status).toBe(200);
      const answer = (await res.json()) as {
        country: string;
        rows: { prefix: string; asn: number | null; asName: string | null; sources: { publisher: string; seq: number }[] }[];
      };
      expect(answer.country).toBe(COUNTRY[id]);
      // The AS data names every AS it holds (the names come from the main thread's tables).
      for (const row of answer.rows) if (row.asn !== null) expect(row.asName, row.prefix).toEqual(expect.any(String));
      // Computed from the data files: every prefix a partner reported, cut to this country.
      const own = new Set([COUNTRY[id]]);
      const byPartners = new Map<string, Set<string>>();
      for (const [other, lines] of reported) {
        if (other === id) continue;
        for (const line of lines.map(canonical)) {
          if (line.includes(':')) continue;
          for (const [lo, hi] of inCountries(...v4Range(line), own)) {
            const key = `${lo}-${hi}`;
            if (!byPartners.has(key)) byPartners.set(key, new Set());
            byPartners.get(key)!.add(other);
          }
        }
      }
      expect(byPartners.size).toBeGreaterThan(0);
      expect(prefixRanges(answer.rows.map((r) => r.prefix))).toEqual(mergeRanges([...byPartners.keys()].map((k) => k.split('-').map(Number) as [number, number])));
      for (const row of answer.rows) {
        const [lo, hi] = v4Range(row.prefix);
        const expected = [...byPartners].filter(([k]) => {
          const [a, b] = k.split('-').map(Number) as [number, number];
          return a <= lo && hi <= b;
        });
        const partners = new Set(expected.flatMap(([, set]) => [...set]));
        expect(new Set(row.sources.map((s) => s.publisher)), row.prefix).toEqual(partners);
        expect(row.sources.every((s) => s.seq >= 1)).toBe(true);
      }
      // Grouped by network: rows of one AS are together.
      const asns = answer.rows.map((r) => r.asn ?? -1);
      expect(asns.filter((a, i) => i > 0 && a !== asns[i - 1]).length + 1).toBe(new Set(asns).size);
    }
    // `since`: only what is new since the last hand-over; nothing is newer than now.
    const jp = nodes.get('jp-dekyo')!;
    const later = await fetch(`${jp.serve.url}/v1/jurisdiction?since=${new Date(Date.now() + 60_000).toISOString()}`, { headers: { authorization: `Bearer ${jp.token}` } });
    expect(((await later.json()) as { rows: unknown[] }).rows).toEqual([]);
    const csv = await runCli(['jurisdiction', '--data', nodes.get('jp-dekyo')!.dir]);
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout.split('\n')[0]).toBe('prefix,asn,as_name,country,publisher,first_seen,last_seen,reports,seq,batch_url');
    expect(csv.stdout.trim().split('\n').length).toBeGreaterThan(1);
    const since = await runCli(['jurisdiction', '--data', jp.dir, '--since', String(Math.floor(Date.now() / 1000) + 60), '--format', 'json']);
    expect(since.code, since.stderr).toBe(0);
    expect((JSON.parse(since.stdout) as { rows: unknown[] }).rows).toEqual([]);
  });

  it('a delisting by one source keeps prefixes another source lists, and removes sole listings everywhere', async () => {
    const shared = pool.find((_, i) => i % 3 === 1)!; // reported by jp-dekyo (c=0) and others
    const sole = '202.12.30.0/24'; // only jp-dekyo
    const res = await operator('jp-dekyo', '/v1/delist', JSON.stringify({ prefixes: [shared, sole], reason: 'false-positive' }), 'application/json');
    expect(res.status).toBe(202);
    const expected = union(reported.values()).filter((p) => p !== sole);
    expect(expected).toContain(canonical(shared));
    await waitFor('the delisting to reach every centre', () => converged(expected), { timeoutMs: 90_000, intervalMs: 500 });
    const lookup = (await (await fetch(`${nodes.get('tw-ncc')!.serve.url}/v1/lookup/${shared}`)).json()) as {
      listed: boolean;
      matches: { sources: { publisher: string; state: string }[] }[];
    };
    expect(lookup.listed).toBe(true);
    expect(lookup.matches[0]!.sources.find((s) => s.publisher === 'jp-dekyo')!.state).toBe('delisted');
  });

  it('every node serves verified copies that an auditor can check with the publisher key alone', async () => {
    const jp = nodes.get('jp-dekyo')!;
    // hk serves its copy to pinned partners only (federation.access "partners", as spamx init
    // writes it): the auditor runs with the data of cn, a node hk has pinned, and signs with its key.
    const auditor = ['--data', nodes.get('cn-isc')!.dir];
    const audit = await runCli(['audit', nodes.get('hk-ofta')!.serve.url, 'jp-dekyo', '--key', join(jp.dir, 'keys', 'ed25519.public.jwk'), ...auditor]);
    expect(audit.code, audit.stderr).toBe(0);
    expect(audit.stdout).toMatch(/jp-dekyo at .*: \d+ batches verified/);
  });
});
