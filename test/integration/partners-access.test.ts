import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createdAt, signRequest } from '../../src/core/http-signature.js';
import { loadConfig } from '../../src/config/config.js';
import type { SpamxNode } from '../../src/daemon.js';
import { jwkThumbprint, toPublicJwk } from '../../src/verify/pinned-keys.js';
import { initTestNode, pinTestPeer, startTestNode } from '../helpers/nodes.js';
import { refusal } from '../helpers/signed-fetch.js';
import { runCli } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * `federation.access: "partners"` (PROTOCOL "Partners only: signed federation requests") on real
 * nodes over loopback: jp serves its batches only to requests signed by a pinned peer's key (cn
 * pins jp and jp pins cn); strangers, unpinned keys, replays and stale signatures are refused with
 * their own codes and counted; the transparency surfaces stay public; `spamx audit` signs with
 * `--data`; a partner that rotates its key is served again once jp has followed the rotation.
 */
const tmp = tempDir('spamx-partners-');
let jp: SpamxNode;
let cn: SpamxNode;
let running = false;
const batchesUrl = () => `${jp.url}/v1/feeds/jp-dekyo/batches?after=0`;
/** Another URL partners reach the nodes at (federation.urls): a proxy that strips `/spamx`. */
const SECOND_NAME = 'https://spamx.centre.example.net/spamx';

/** A GET of `url` signed by `key`/`kid` at `created` (seconds). */
function signedGet(url: string, kid: string, key: Parameters<typeof signRequest>[0]['privateKey'], created: number): Promise<Response> {
  const h = signRequest({ method: 'GET', targetUri: url, created, kid, privateKey: key });
  return fetch(url, { headers: { 'signature-input': h.signatureInput, signature: h.signature } });
}


beforeAll(async () => {
  // Created as `spamx init` creates a node: federation.access "partners".
  [jp, cn] = (await Promise.all(['jp-dekyo', 'cn-isc'].map(async (id) => startTestNode(await initTestNode(tmp.path, { id, config: { metrics: { public: true }, federation: { access: 'partners', urls: [SECOND_NAME] } } }))))) as [SpamxNode, SpamxNode];
  running = true;
  expect(jp.config.federation.access).toBe('partners');
  await pinTestPeer(jp, cn);
  await pinTestPeer(cn, jp);
  jp.reportText('61.4.1.7\n61.5.2.0/24\n');
  await jp.publish();
  cn.reportText('36.1.2.3\n');
  await cn.publish();
});

afterAll(async () => {
  if (running) await Promise.all([jp, cn].map((n) => n.destroy()));
  tmp.cleanup();
});

describe('federation.access "partners"', () => {
  it('serves a pinned partner its signed pulls', async () => {
    const report = await cn.pull('jp-dekyo');
    expect(report?.error).toBeUndefined();
    expect(report).toMatchObject({ ok: true, batches: 1, listed: 2 });
    expect((await jp.pull('cn-isc'))?.ok).toBe(true);
  });

  it('refuses an anonymous download: 401 SIGNATURE_MISSING', async () => {
    expect(await refusal(await fetch(batchesUrl()))).toEqual({ status: 401, code: 'SIGNATURE_MISSING' });
    expect(await refusal(await fetch(`${jp.url}/v1/feeds/jp-dekyo/batches/1`))).toEqual({ status: 401, code: 'SIGNATURE_MISSING' });
    // Mirrored feeds too: jp holds cn's feed.
    expect(await refusal(await fetch(`${jp.url}/v1/feeds/cn-isc/batches?after=0`))).toEqual({ status: 401, code: 'SIGNATURE_MISSING' });
  });

  it('refuses a key it has not pinned: 403 SIGNATURE_KEY_UNKNOWN', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const kid = await jwkThumbprint(toPublicJwk(publicKey.export({ format: 'jwk' }), 'stranger'));
    const res = await signedGet(batchesUrl(), kid, privateKey, createdAt(Date.now()));
    expect(await refusal(res)).toEqual({ status: 403, code: 'SIGNATURE_KEY_UNKNOWN' });
  });

  it('serves a partner signature once, and refuses its replay: 401 SIGNATURE_REPLAYED', async () => {
    const { kid, signingKey } = cn.identity;
    const h = signRequest({ method: 'GET', targetUri: batchesUrl(), created: createdAt(Date.now()), kid, privateKey: signingKey });
    const headers = { 'signature-input': h.signatureInput, signature: h.signature };
    const first = await fetch(batchesUrl(), { headers });
    expect(first.status).toBe(200);
    expect(((await first.json()) as { batches: unknown[] }).batches).toHaveLength(1);
    expect(await refusal(await fetch(batchesUrl(), { headers }))).toEqual({ status: 401, code: 'SIGNATURE_REPLAYED' });
  });

  it('refuses a stale signature, and one over another path', async () => {
    const { kid, signingKey } = cn.identity;
    const stale = await signedGet(batchesUrl(), kid, signingKey, createdAt(Date.now()) - 600);
    expect(await refusal(stale)).toEqual({ status: 401, code: 'SIGNATURE_EXPIRED' });
    const h = signRequest({ method: 'GET', targetUri: `${jp.url}/v1/feeds/jp-dekyo/batches?after=1`, created: createdAt(Date.now()), kid, privateKey: signingKey });
    const other = await fetch(batchesUrl(), { headers: { 'signature-input': h.signatureInput, signature: h.signature } });
    expect(await refusal(other)).toEqual({ status: 401, code: 'SIGNATURE_INVALID' });
  });

  it('keeps the descriptor, feed list, key statements, checkpoint, proofs and witness views public', async () => {
    for (const path of ['/.well-known/spamx', '/v1/feeds', '/v1/feeds/jp-dekyo/keys', '/v1/feeds/jp-dekyo/checkpoint', '/v1/feeds/jp-dekyo/proof/inclusion?seq=1&size=1', '/v1/witness/cn-isc']) {
      const res = await fetch(`${jp.url}${path}`);
      expect(res.status, `${path}: ${await res.text()}`).toBe(200);
    }
  });

  it('counts the refusals by code', async () => {
    const text = await (await fetch(`${jp.url}/metrics`)).text();
    expect(text).toMatch(/spamx_federation_refused_total\{code="SIGNATURE_MISSING"\} 3/);
    expect(text).toMatch(/spamx_federation_refused_total\{code="SIGNATURE_KEY_UNKNOWN"\} 1/);
    expect(text).toMatch(/spamx_federation_refused_total\{code="SIGNATURE_REPLAYED"\} 1/);
    expect(text).toMatch(/spamx_federation_refused_total\{code="SIGNATURE_EXPIRED"\} 1/);
    expect(text).toMatch(/spamx_federation_refused_total\{code="SIGNATURE_INVALID"\} 1/);
  });
});

describe("the operator sees each partner's access", () => {
  it('a request signed for a second name in federation.urls is served; one for a name not listed is not', async () => {
    const { kid, signingKey } = cn.identity;
    const path = '/v1/feeds/jp-dekyo/batches?after=0';
    // Ed25519 signatures are deterministic: a created time no other test uses keeps these from being replays.
    const created = createdAt(Date.now()) - 17;
    const viaProxy = signRequest({ method: 'GET', targetUri: `${SECOND_NAME}${path}`, created, kid, privateKey: signingKey });
    const served = await fetch(`${jp.url}${path}`, { headers: { 'signature-input': viaProxy.signatureInput, signature: viaProxy.signature } });
    expect(served.status, await served.clone().text()).toBe(200);
    // A shared cache must not keep a partner's batch for others.
    const one = signRequest({ method: 'GET', targetUri: `${jp.url}/v1/feeds/jp-dekyo/batches/1`, created, kid, privateKey: signingKey });
    const batch = await fetch(`${jp.url}/v1/feeds/jp-dekyo/batches/1`, { headers: { 'signature-input': one.signatureInput, signature: one.signature } });
    expect(batch.status).toBe(200);
    expect(batch.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
    const elsewhere = signRequest({ method: 'GET', targetUri: `https://other.example.net${path}`, created, kid, privateKey: signingKey });
    const refused = await fetch(`${jp.url}${path}`, { headers: { 'signature-input': elsewhere.signatureInput, signature: elsewhere.signature } });
    expect(await refusal(refused)).toEqual({ status: 401, code: 'SIGNATURE_INVALID' });
  });

  it('status names each requester: signed requests served, refusals and the last code', async () => {
    const f = jp.status().federation;
    expect(f.access).toBe('partners');
    const by = new Map(f.requesters.map((r) => [r.partner, r]));
    expect(by.get('cn-isc')).toMatchObject({ lastRefusalCode: 'SIGNATURE_INVALID' });
    expect(by.get('cn-isc')!.signed).toBeGreaterThanOrEqual(3);
    expect(by.get('cn-isc')!.refused).toBeGreaterThanOrEqual(3);
    expect(by.get('unsigned')).toMatchObject({ signed: 0, refused: 3, lastRefusalCode: 'SIGNATURE_MISSING' });
    expect([...by.keys()].some((k) => k.startsWith('key:'))).toBe(true);
    const cli = await runCli(['status', '--data', jp.config.paths.dir]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/federation access: partners; sealed batches: 0/);
    expect(cli.stdout).toMatch(/cn-isc: \d+ signed requests served, last \S+Z; \d+ refused, last SIGNATURE_INVALID/);
  });
});

describe('spamx audit of a partners-only feed', () => {
  const key = () => join(jp.config.paths.dir, 'keys', 'ed25519.public.jwk');

  it('without --data: exit 1, saying the feed is for pinned partners', async () => {
    const r = await runCli(['audit', jp.url, 'jp-dekyo', '--key', key()]);
    expect(r.code, r.stdout).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('this feed is served to pinned partners only: run the audit with --data of a node the publisher has pinned');
  });

  it('with --data of a pinned partner: signed, and the feed checks out', async () => {
    const r = await runCli(['audit', jp.url, 'jp-dekyo', '--key', key(), '--data', cn.config.paths.dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('1 batches verified');
  });
});

describe('a partner rotates its key', () => {
  it("is served again as soon as jp has followed the rotation (jp's next pull of it)", async () => {
    const oldKid = cn.identity.kid;
    const rotated = await runCli(['key', 'rotate', '--data', cn.config.paths.dir]);
    expect(rotated.code, rotated.stderr).toBe(0);
    await waitFor('cn signing with its new key', () => cn.identity.kid !== oldKid);
    jp.reportText('61.4.3.7\n');
    await jp.publish();
    // jp has not seen cn's key statement naming the new key yet: cn's request is refused.
    const early = await cn.pull('jp-dekyo');
    expect(early?.ok).toBe(false);
    expect(early?.error?.message).toContain('403');
    // jp's pull of cn follows cn's key statements (README "Key rotation"): the new key is pinned.
    expect((await jp.pull('cn-isc'))?.ok).toBe(true);
    const later = await cn.pull('jp-dekyo');
    expect(later?.error).toBeUndefined();
    expect(later).toMatchObject({ ok: true, batches: 1 });
  });
});

describe('federation.access in config', () => {
  it('spamx init writes "partners", --public-feeds "public"; a config without the member stays public', async () => {
    const fresh = join(tmp.path, 'fresh');
    expect((await runCli(['init', '--data', fresh, '--id', 'tw-ncc', '--port', '0'])).code).toBe(0);
    const file = join(fresh, 'config.json');
    const written = JSON.parse(readFileSync(file, 'utf8')) as { federation?: unknown };
    expect(written.federation).toEqual({ access: 'partners' });
    const open = join(tmp.path, 'open');
    expect((await runCli(['init', '--data', open, '--id', 'kr-kisa', '--port', '0', '--public-feeds'])).code).toBe(0);
    expect(loadConfig(open).federation.access).toBe('public');
    // A node made before federation.access existed keeps serving everyone.
    delete written.federation;
    writeFileSync(file, JSON.stringify(written));
    expect(loadConfig(fresh).federation.access).toBe('public');
  });
});
