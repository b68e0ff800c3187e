import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOperatorToken } from '../../src/config/identity.js';
import type { SpamxNode } from '../../src/daemon.js';
import { initTestNode, pinTestPeer, PUBLIC_FEEDS, startTestNode } from '../helpers/nodes.js';
import { refusal, signedFetch } from '../helpers/signed-fetch.js';
import { runCli } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * Who gets which stored batch (core/batch-audience.ts, PROTOCOL "Partners only"), on real nodes:
 * jp publishes green, amber and sealed batches on a `public` node; tw pulls jp and re-serves
 * (mirrors) its feed to its own partners cn and kr. A stranger reads jp's green batches and its
 * sealed one (ciphertext), never the amber one; jp's partners read all of jp's feed from jp; from
 * the mirror, cn and kr get jp's green batches, the sealed one only cn (its recipient), the amber
 * one neither — and jp its own. Pages stop before a withheld batch, and the batch itself answers
 * 403 BATCH_WITHHELD.
 */
const tmp = tempDir('spamx-withheld-');
let jp: SpamxNode;
let tw: SpamxNode;
let cn: SpamxNode;
let kr: SpamxNode;
const nodes: SpamxNode[] = [];

async function report(node: SpamxNode, lines: string, ...flags: string[]): Promise<void> {
  const file = join(tmp.path, `${node.config.id}-${Date.now()}.txt`);
  writeFileSync(file, lines);
  const r = await runCli(['report', '--data', node.config.paths.dir, file, ...flags]);
  expect(r.code, r.stderr).toBe(0);
  await node.publish();
}

const pageSeqs = async (res: Response) => {
  expect(res.status).toBe(200);
  const page = (await res.json()) as { batches: { seq: number }[]; next: number | null };
  return { seqs: page.batches.map((b) => b.seq), next: page.next };
};

beforeAll(async () => {
  for (const id of ['jp-dekyo', 'tw-ncc', 'cn-isc', 'kr-kisa']) {
    nodes.push(await startTestNode(await initTestNode(tmp.path, { id, config: id === 'jp-dekyo' ? PUBLIC_FEEDS : {} })));
  }
  [jp, tw, cn, kr] = nodes as [SpamxNode, SpamxNode, SpamxNode, SpamxNode];
  // jp's partners: tw and cn. tw's partners: jp, cn, kr. cn pins jp (to seal to it, jp must know cn's keys).
  for (const [a, b] of [[jp, tw], [jp, cn], [tw, jp], [tw, cn], [tw, kr], [cn, jp]] as const) await pinTestPeer(a, b);
  // cn's encryption key reaches jp through cn's key statements, which jp verifies on a pull of cn.
  cn.reportText('36.1.2.3\n');
  await cn.publish();
  expect((await jp.pull('cn-isc'))?.ok).toBe(true);
  await report(jp, '61.4.1.7\n'); // 1: green
  await report(jp, '61.5.2.0/24\n', '--tlp', 'amber'); // 2: amber
  await report(jp, '114.80.1.1\n'); // 3: green
  await report(jp, '1.0.16.5\n', '--to', 'cn-isc'); // 4: sealed to cn
  await report(jp, '1.0.17.5\n'); // 5: green
  const pulled = await tw.pull('jp-dekyo');
  expect(pulled?.error).toBeUndefined();
  expect(tw.status().peers.find((p) => p.id === 'jp-dekyo')?.seq).toBe(5);
});

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.destroy()));
  tmp.cleanup();
});

describe("the publisher's own feed (public node)", () => {
  const feed = () => `${jp.url}/v1/feeds/jp-dekyo/batches`;

  it('a stranger gets the green batches and stops before the amber one', async () => {
    expect(await pageSeqs(await fetch(`${feed()}?after=0`))).toEqual({ seqs: [1], next: 1 });
    expect(await refusal(await fetch(`${feed()}?after=1`))).toEqual({ status: 403, code: 'BATCH_WITHHELD' });
    expect(await refusal(await fetch(`${feed()}/2`))).toEqual({ status: 403, code: 'BATCH_WITHHELD' });
    expect((await pageSeqs(await fetch(`${feed()}?after=2`))).seqs).toEqual([3, 4, 5]);
    const one = await fetch(`${feed()}/1`);
    expect(one.headers.get('cache-control')).toMatch(/^public/);
    // The sealed batch is ciphertext: anyone may have it, to follow the chain past it.
    expect((await fetch(`${feed()}/4`)).status).toBe(200);
    expect((await fetch(`${feed()}/2`, { headers: { authorization: `Bearer ${loadOperatorToken(jp.config.paths)}` } })).headers.get('cache-control')).toMatch(/^private/);
  });

  it('a pinned partner (signed) gets every batch', async () => {
    expect((await pageSeqs(await signedFetch(cn, `${feed()}?after=0`))).seqs).toEqual([1, 2, 3, 4, 5]);
    expect((await signedFetch(tw, `${feed()}/2`)).status).toBe(200);
  });

  it('the operator gets every batch', async () => {
    const res = await fetch(`${feed()}?after=0`, { headers: { authorization: `Bearer ${loadOperatorToken(jp.config.paths)}` } });
    expect((await pageSeqs(res)).seqs).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('a mirror (tw re-serving jp)', () => {
  const feed = () => `${tw.url}/v1/feeds/jp-dekyo/batches`;

  it('re-serves green batches to its partners, never the amber one', async () => {
    expect(await pageSeqs(await signedFetch(kr, `${feed()}?after=0`))).toEqual({ seqs: [1], next: 1 });
    const withheld = await refusal(await signedFetch(cn, `${feed()}/2`));
    expect(withheld).toEqual({ status: 403, code: 'BATCH_WITHHELD' });
    expect((await pageSeqs(await signedFetch(kr, `${feed()}?after=2`))).seqs).toEqual([3]);
  });

  it('re-serves the sealed batch to its recipient only', async () => {
    expect((await pageSeqs(await signedFetch(cn, `${feed()}?after=2`))).seqs).toEqual([3, 4, 5]);
    expect(await refusal(await signedFetch(kr, `${feed()}/4`))).toEqual({ status: 403, code: 'BATCH_WITHHELD' });
    expect((await signedFetch(cn, `${feed()}/4`)).status).toBe(200);
  });

  it('gives the publisher back its own batches, and says where to get a withheld one', async () => {
    expect((await pageSeqs(await signedFetch(jp, `${feed()}?after=0`))).seqs).toEqual([1, 2, 3, 4, 5]);
    const body = (await (await signedFetch(kr, `${feed()}/2`)).json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/batch 2 of jp-dekyo is labelled TLP:AMBER; .*fetch it from jp-dekyo/);
  });

  it('counts the withheld requests', async () => {
    const text = await (await fetch(`${tw.url}/metrics`, { headers: { authorization: `Bearer ${loadOperatorToken(tw.config.paths)}` } })).text();
    expect(text).toMatch(/spamx_federation_refused_total\{code="BATCH_WITHHELD"\} [1-9]/);
  });
});
