import { execFileSync, spawnSync } from 'node:child_process';
import { createCipheriv, createHash, createPublicKey, diffieHellman, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDescriptor } from '../../src/config/descriptor.js';
import type { SpamxNode } from '../../src/daemon.js';
import { x25519Thumbprint, type EncKey, type X25519Jwk } from '../../src/core/key-statement.js';
import { readBatchJws } from '../../src/store/batch-parts.js';
import { treeRoot } from '../../src/store/tree-store.js';
import { concatKdf } from '../../src/ingest/open-sealed.js';
import { sealInner } from '../../src/ingest/seal-batch.js';
import { statedEncKey } from '../../src/ingest/seal-keys.js';
import { pinPeer } from '../../src/node-files/pin-peer.js';
import { collidingCiphertext } from '../helpers/gcm-collision.js';
import { descriptorFor, FakePeerServer, leafOf, listEntry, pageHandler, signRaw, testKey, type TestKey } from '../helpers/fake-peer.js';
import { initTestNode, pinTestPeer, startTestNode } from '../helpers/nodes.js';
import { countryOf, v4 } from '../helpers/origin-rows.js';
import { runCli } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * Sealed batches (issue 16 item 3, PROTOCOL "Additions: partners only") between real nodes over
 * loopback, every node partners-only: jp-dekyo seals batches to cn-isc; kr-kisa, a partner of
 * jp's but not a recipient, stores them, checks their chain, checkpoint and proofs, and applies
 * nothing. A hand-driven publisher (tw-twnic, its batches built here with jose and its key) sends
 * sealed batches that lie — an inner JWS that does not hash to its digest, recipients who see
 * different plaintexts under one valid GCM tag, a recipient entry no key opens — each refused
 * with its code while the feed's later batches still apply. The Go (sumdb/tlog, sumdb/note) and a
 * Python checker verify the feed's checkpoints and proofs with sealed batches in the log.
 */
const tmp = tempDir('spamx-sealed-');
let jp: SpamxNode;
let cn: SpamxNode;
let kr: SpamxNode;
let running = false;
const fake = new FakePeerServer();
let fakeUrl = '';

/** A CN-registered and a JP-registered prefix by the default origin data (checked in beforeAll). */
const CN_PREFIX = '36.1.2.0/24';
const JP_PREFIX = '61.4.1.0/24';

const rows = <T>(node: SpamxNode, sql: string, ...params: unknown[]) => node.store.prepare(sql).all(...params) as T[];
const listed = (node: SpamxNode, publisher: string) =>
  rows<{ prefix: string }>(node, "SELECT prefix FROM listings WHERE publisher = ? AND op = 'list' ORDER BY prefix", publisher).map((r) => r.prefix);
const batchRow = (node: SpamxNode, publisher: string, seq: number) =>
  node.store.prepare('SELECT recipients, tlp, entry_count AS entryCount FROM batches WHERE publisher = ? AND seq = ?').get(publisher, seq) as
    | { recipients: string | null; tlp: number; entryCount: number }
    | undefined;
const innerOf = (node: SpamxNode, publisher: string, seq: number) =>
  (node.store.prepare('SELECT jws FROM sealed_inner WHERE publisher = ? AND seq = ?').get(publisher, seq) as { jws: string } | undefined)?.jws;
const sealedRefusals = (node: SpamxNode, publisher: string) =>
  rows<{ seq: number; code: string }>(node, "SELECT seq, code FROM refusals WHERE publisher = ? AND code LIKE 'SEALED_%' ORDER BY seq", publisher);

beforeAll(async () => {
  // The seal rule: listings registered in CN go sealed to cn-isc (jp's config).
  const config = (id: string) => (id === 'jp-dekyo' ? { publish: { seal: [{ country: 'CN', to: ['cn-isc'] }] } } : {});
  [jp, cn, kr] = (await Promise.all(['jp-dekyo', 'cn-isc', 'kr-kisa'].map(async (id) => startTestNode(await initTestNode(tmp.path, { id, config: config(id) }))))) as [
    SpamxNode,
    SpamxNode,
    SpamxNode,
  ];
  running = true;
  for (const [a, b] of [[jp, cn], [cn, jp], [jp, kr], [kr, jp]] as const) await pinTestPeer(a, b);
  fakeUrl = await fake.listen();
  // jp learns cn's and kr's encryption keys from their verified key statements, on a pull.
  expect((await jp.pull('cn-isc'))?.ok).toBe(true);
  expect((await jp.pull('kr-kisa'))?.ok).toBe(true);
}, 60_000);

afterAll(async () => {
  if (running) await Promise.all([jp, cn, kr].map((n) => n.destroy()));
  await fake.close();
  tmp.cleanup();
});

describe('encryption keys', () => {
  it('each node has an X25519 key (0600), never its signing key, published in its descriptor and its key statements', () => {
    const dir = cn.config.paths.dir;
    const priv = JSON.parse(readFileSync(join(dir, 'keys', 'x25519.private.jwk'), 'utf8')) as { crv: string; x: string; d: string };
    expect(priv.crv).toBe('X25519');
    expect(statSync(join(dir, 'keys', 'x25519.private.jwk')).mode & 0o777).toBe(0o600);
    const signing = JSON.parse(readFileSync(cn.config.paths.privateKey, 'utf8')) as { d: string };
    expect(priv.d).not.toBe(signing.d);
    const kid = x25519Thumbprint({ kty: 'OKP', crv: 'X25519', x: priv.x });
    const descriptorKeys = cn.descriptor().keys.keys;
    expect(descriptorKeys).toContainEqual(expect.objectContaining({ kty: 'OKP', crv: 'X25519', use: 'enc', kid }));
    // Pinning from a descriptor takes only signing keys; the encryption key comes from statements.
    expect(parseDescriptor(cn.descriptor(), 'cn').keys.keys.every((k) => k.crv === 'Ed25519')).toBe(true);
    expect(statedEncKey(jp.store, 'cn-isc')?.kid).toBe(kid);
    expect(statedEncKey(cn.store, 'cn-isc')?.kid).toBe(kid);
  });
});

describe('a batch sealed to cn-isc', () => {
  it('cn, its recipient, opens and applies it under its label', async () => {
    jp.reportText('61.4.1.7\n61.5.2.0/24\n', { tlp: 2, recipients: 'cn-isc' });
    const published = await jp.publish();
    expect(published).toHaveLength(1);
    const seq = published[0]!.seq;
    // The publisher keeps its own inner JWS and applies its own entries.
    expect(batchRow(jp, 'jp-dekyo', seq)).toMatchObject({ recipients: 'cn-isc', tlp: 2 });
    expect(innerOf(jp, 'jp-dekyo', seq)).toMatch(/^eyJ/);
    const outerJws = readBatchJws(jp.store, 'jp-dekyo', seq)!;
    const payload = JSON.parse(Buffer.from(outerJws.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(payload.entries).toBeUndefined();
    expect(payload.sealed).toMatchObject({ recipients: ['cn-isc'], tlp: 'amber', innerDigest: createHash('sha256').update(innerOf(jp, 'jp-dekyo', seq)!).digest('base64url') });
    expect(JSON.stringify(payload)).not.toContain('61.4.1.7');

    const report = await cn.pull('jp-dekyo');
    expect(report?.error).toBeUndefined();
    expect(report).toMatchObject({ ok: true, batches: 1, listed: 2 });
    expect(listed(cn, 'jp-dekyo')).toEqual(['61.4.1.7/32', '61.5.2.0/24']);
    expect(batchRow(cn, 'jp-dekyo', seq)).toMatchObject({ recipients: 'cn-isc', tlp: 2, entryCount: 2 });
    expect(innerOf(cn, 'jp-dekyo', seq)).toBe(innerOf(jp, 'jp-dekyo', seq));
    expect(sealedRefusals(cn, 'jp-dekyo')).toEqual([]);
  });

  it('kr, not a recipient, stores it in the log, verifies chain, checkpoint and proofs, and applies nothing', async () => {
    const report = await kr.pull('jp-dekyo');
    expect(report?.error).toBeUndefined();
    expect(report).toMatchObject({ ok: true, batches: 1, listed: 0 });
    expect(listed(kr, 'jp-dekyo')).toEqual([]);
    expect(batchRow(kr, 'jp-dekyo', 1)).toMatchObject({ recipients: 'cn-isc', entryCount: 0 });
    expect(innerOf(kr, 'jp-dekyo', 1)).toBeUndefined();
    expect(rows(kr, 'SELECT * FROM refusals WHERE publisher = ?', 'jp-dekyo')).toEqual([]);
    // The same leaf in both logs, and an audit of jp's feed (signed with kr's key) checks out.
    expect(readBatchJws(kr.store, 'jp-dekyo', 1)).toBe(readBatchJws(jp.store, 'jp-dekyo', 1));
    const audit = await runCli(['audit', jp.url, 'jp-dekyo', '--key', join(jp.config.paths.dir, 'keys', 'ed25519.public.jwk'), '--data', kr.config.paths.dir]);
    expect(audit.stderr).toBe('');
    expect(audit.code).toBe(0);
  });
});

describe('seal inputs', () => {
  it('`spamx report --to` queues sealed reports; an unknown partner and one without a known key are refused clearly', async () => {
    const file = join(tmp.path, 'report.txt');
    writeFileSync(file, '61.6.0.0/24\n');
    const data = jp.config.paths.dir;
    const unknown = await runCli(['report', file, '--to', 'xx-nowhere', '--data', data]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/"xx-nowhere" is not a pinned partner; seal to one of: cn-isc, kr-kisa/);
    // A pinned partner whose key statements jp does not hold: no encryption key known.
    const twKey = await testKey();
    await pinPeer(jp.config, parseDescriptor(descriptorFor('tw-twnic', twKey), 'tw'), { url: fakeUrl });
    const keyless = await runCli(['report', file, '--to', 'tw-twnic', '--data', data]);
    expect(keyless.code).not.toBe(0);
    expect(keyless.stderr).toMatch(/no encryption key is known for tw-twnic/);
    expect(rows(jp, 'SELECT * FROM report_queue')).toEqual([]);

    const ok = await runCli(['report', file, '--to', 'kr-kisa', '--to', 'cn-isc', '--data', data]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(rows(jp, 'SELECT prefix, recipients FROM report_queue')).toEqual([{ prefix: '61.6.0.0/24', recipients: 'cn-isc kr-kisa' }]);
    const [batch] = await jp.publish();
    expect(batchRow(jp, 'jp-dekyo', batch!.seq)?.recipients).toBe('cn-isc kr-kisa');
    expect((await cn.pull('jp-dekyo'))?.ok).toBe(true);
    expect((await kr.pull('jp-dekyo'))?.ok).toBe(true);
    expect(listed(cn, 'jp-dekyo')).toContain('61.6.0.0/24');
    expect(listed(kr, 'jp-dekyo')).toEqual(['61.6.0.0/24']);
  });

  it('`spamx report --mail --to` seals the origins found in spam samples', async () => {
    const eml = join(tmp.path, 'sample.eml');
    writeFileSync(
      eml,
      'Received: from mail.example.net (unknown [61.6.9.9]) by mx1.jp-dekyo.test (Postfix) with ESMTP id 4XyZ; Mon, 7 Dec 2026 01:02:03 +0000\r\n' +
        'From: a@example.net\r\nTo: b@jp-dekyo.test\r\nSubject: offer\r\nMessage-ID: <1@example.net>\r\nDate: Mon, 7 Dec 2026 01:02:00 +0000\r\n\r\nbuy\r\n',
    );
    const r = await runCli(['report', '--mail', eml, '--to', 'cn-isc', '--data', jp.config.paths.dir, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(rows(jp, 'SELECT prefix, recipients FROM report_queue')).toEqual([{ prefix: '61.6.9.9/32', recipients: 'cn-isc' }]);
    const [batch] = await jp.publish();
    expect(batchRow(jp, 'jp-dekyo', batch!.seq)?.recipients).toBe('cn-isc');
    expect((await cn.pull('jp-dekyo'))?.ok).toBe(true);
    expect((await kr.pull('jp-dekyo'))?.ok).toBe(true);
    expect(listed(cn, 'jp-dekyo')).toContain('61.6.9.9/32');
    expect(listed(kr, 'jp-dekyo')).not.toContain('61.6.9.9/32');
  });

  it('a config seal rule sends CN-registered listings sealed to cn-isc, the rest open', async () => {
    expect(countryOf(v4(CN_PREFIX.split('/')[0]!))).toBe('CN');
    expect(countryOf(v4(JP_PREFIX.split('/')[0]!))).not.toBe('CN');
    jp.reportText(`${CN_PREFIX}\n${JP_PREFIX}\n`);
    expect(rows(jp, 'SELECT prefix, recipients FROM report_queue ORDER BY id')).toEqual([
      { prefix: CN_PREFIX, recipients: 'cn-isc' },
      { prefix: JP_PREFIX, recipients: null },
    ]);
    const published = await jp.publish();
    expect(published).toHaveLength(2);
    expect(published.map((b) => batchRow(jp, 'jp-dekyo', b.seq)?.recipients)).toEqual(['cn-isc', null]);
    expect((await cn.pull('jp-dekyo'))?.ok).toBe(true);
    expect((await kr.pull('jp-dekyo'))?.ok).toBe(true);
    expect(listed(cn, 'jp-dekyo')).toEqual(expect.arrayContaining([CN_PREFIX, JP_PREFIX]));
    expect(listed(kr, 'jp-dekyo')).toContain(JP_PREFIX);
    expect(listed(kr, 'jp-dekyo')).not.toContain(CN_PREFIX);
  });

  it('POST /v1/reports takes `to`', async () => {
    const token = readFileSync(jp.config.paths.operatorToken, 'utf8').trim();
    const post = (to: string[]) =>
      fetch(`${jp.url}/v1/reports`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ entries: [{ prefix: '61.7.0.0/24' }], to }),
      });
    const bad = await post(['xx-nowhere']);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toMatch(/not a pinned partner/);
    expect((await post(['cn-isc'])).status).toBe(202);
    expect(rows(jp, 'SELECT prefix, recipients FROM report_queue')).toEqual([{ prefix: '61.7.0.0/24', recipients: 'cn-isc' }]);
    await jp.publish();
  });
});

describe('evidence for a listing from a sealed batch', () => {
  it('carries the inner JWS; verify-evidence checks it against the logged digest and the publisher key, offline', async () => {
    const made = await runCli(['evidence', '--data', cn.config.paths.dir, '61.4.1.7']);
    expect(made.code, made.stderr).toBe(0);
    const bundle = JSON.parse(made.stdout) as { listings: { publisher: string; seq: number; inner?: string }[] };
    const listing = bundle.listings.find((l) => l.publisher === 'jp-dekyo' && l.inner !== undefined)!;
    expect(listing.seq).toBe(1);
    expect(listing.inner).toBe(innerOf(cn, 'jp-dekyo', listing.seq));
    const file = join(tmp.path, 'sealed-evidence.json');
    writeFileSync(file, made.stdout);
    const key = join(jp.config.paths.dir, 'keys', 'ed25519.public.jwk');
    const ok = await runCli(['verify-evidence', file, '--key', key, '--quorum', '0']);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/sealed to cn-isc \(amber\): the inner JWS, EdDSA by .*, hashes to the logged innerDigest/);
    // Another inner JWS (here: the one of another sealed batch) does not match the logged digest.
    const other = rows<{ jws: string }>(cn, "SELECT jws FROM sealed_inner WHERE publisher = 'jp-dekyo' AND seq <> ?", listing.seq)[0]!.jws;
    listing.inner = other;
    writeFileSync(file, JSON.stringify(bundle));
    const bad = await runCli(['verify-evidence', file, '--key', key, '--quorum', '0']);
    expect(bad.code, bad.stdout + bad.stderr).not.toBe(0);
    expect(bad.stdout + bad.stderr).toMatch(/the inner JWS hashes to .*, the logged batch names innerDigest/);
  });
});

/** X25519 public key of a node as its key statements name it (what any partner would use). */
const encOf = (node: SpamxNode): EncKey => statedEncKey(node.store, node.config.id)!;

/** One JWE recipient, wrapped by hand (RFC 7518 §4.6): a fresh ephemeral key, Concat KDF, AES key wrap. */
function wrapFor(kid: string, jwk: X25519Jwk, cek: Buffer) {
  const eph = generateKeyPairSync('x25519');
  const z = diffieHellman({ privateKey: eph.privateKey, publicKey: createPublicKey({ key: { ...jwk }, format: 'jwk' }) });
  const kek = concatKdf(z, 'ECDH-ES+A256KW', Buffer.alloc(0), Buffer.alloc(0), 256);
  const wrap = createCipheriv('id-aes256-wrap', kek, Buffer.from('A6A6A6A6A6A6A6A6', 'hex'));
  const epk = eph.publicKey.export({ format: 'jwk' });
  return { header: { alg: 'ECDH-ES+A256KW', kid, epk: { kty: 'OKP', crv: 'X25519', x: epk.x! } }, encrypted_key: Buffer.concat([wrap.update(cek), wrap.final()]).toString('base64url') };
}

/** tw-twnic, a publisher driven by hand: its feed's batches, built here with jose and its key. */
const TW = 'tw-twnic';
let key: TestKey;
const feed: string[] = [];
const issuedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const head = () => ({ spamx: 1, publisher: TW, seq: feed.length + 1, prev: feed.length === 0 ? null : leafOf(feed.at(-1)!), issuedAt });
const inner = (prefixes: string[]) => signRaw(key, JSON.stringify({ ...head(), tlp: 'amber', entries: prefixes.map((p) => listEntry(p)) }));
const outer = async (sealed: unknown) => feed.push(await signRaw(key, JSON.stringify({ ...head(), sealed })));

describe('sealed batches that lie', () => {

  beforeAll(async () => {
    key = await testKey();
    for (const node of [cn, kr]) {
      await pinPeer(node.config, parseDescriptor(descriptorFor(TW, key), 'tw'), { url: fakeUrl });
      await node.reload();
    }
    const both = new Map([['cn-isc', encOf(cn)], ['kr-kisa', encOf(kr)]]);
    // 1: sealed to cn, honest.
    await outer(await sealInner(Buffer.from(await inner(['1.0.1.0/24'])), new Map([['cn-isc', encOf(cn)]]), 'amber'));
    // 2: sealed to cn, its inner JWS does not hash to the logged digest.
    const two = await sealInner(Buffer.from(await inner(['1.0.2.0/24'])), new Map([['cn-isc', encOf(cn)]]), 'amber');
    await outer({ ...two, innerDigest: createHash('sha256').update('another inner JWS').digest('base64url') });
    // 3: sealed to cn and kr with one ciphertext and tag that decrypt, each under its own content
    // key, to two plaintexts (AES-GCM is not key-committing); the digest is cn's plaintext's.
    const [k1, k2, iv] = [randomBytes(32), randomBytes(32), randomBytes(12)];
    const protectedHeader = Buffer.from('{"enc":"A256GCM"}').toString('base64url');
    const { ciphertext, tag } = collidingCiphertext(k1, k2, iv, Buffer.from(protectedHeader, 'ascii'), Buffer.from((await inner(['1.0.3.0/24'])).slice(0, 96)));
    const cnPlain = (() => {
      const d = createCipheriv('aes-256-ctr', k1, Buffer.concat([iv, Buffer.from([0, 0, 0, 2])]));
      return Buffer.concat([d.update(ciphertext), d.final()]);
    })();
    await outer({
      recipients: ['cn-isc', 'kr-kisa'],
      tlp: 'amber',
      innerDigest: createHash('sha256').update(cnPlain).digest('base64url'),
      jwe: {
        protected: protectedHeader,
        recipients: [wrapFor(encOf(cn).kid, encOf(cn).jwk, k1), wrapFor(encOf(kr).kid, encOf(kr).jwk, k2)],
        iv: iv.toString('base64url'),
        ciphertext: ciphertext.toString('base64url'),
        tag: tag.toString('base64url'),
      },
    });
    // 4: sealed to cn and kr, but cn's entry is for a key cn does not have: cn cannot read it, kr can.
    const { privateKey: strayKey } = generateKeyPairSync('x25519');
    const stray = { kty: 'OKP', crv: 'X25519', x: strayKey.export({ format: 'jwk' }).x! } as const;
    await outer(await sealInner(Buffer.from(await inner(['1.0.4.0/24'])), new Map([['cn-isc', { kid: x25519Thumbprint(stray), jwk: stray }], ['kr-kisa', encOf(kr)]]), 'amber'));
    // 5: an open batch; 6: an honest sealed one to both.
    feed.push(await signRaw(key, JSON.stringify({ ...head(), tlp: 'green', entries: [listEntry('1.0.5.0/24')] })));
    await outer(await sealInner(Buffer.from(await inner(['1.0.6.0/24'])), both, 'amber'));
    fake.routes.set(`/v1/feeds/${TW}/batches`, pageHandler(TW, feed));
  });

  it('each is refused with its code, stored in the log, and the later batches still apply', async () => {
    for (const node of [cn, kr]) {
      const report = await node.pull(TW);
      expect(report?.error, node.config.id).toBeUndefined();
      expect(report?.batches, node.config.id).toBe(6);
      for (let seq = 1; seq <= 6; seq++) expect(readBatchJws(node.store, TW, seq)).toBe(feed[seq - 1]);
    }
    expect(sealedRefusals(cn, TW)).toEqual([
      { seq: 2, code: 'SEALED_DIGEST_MISMATCH' },
      { seq: 3, code: 'SEALED_BAD_INNER' }, // cn's plaintext matches the digest but is no JWS of tw's
      { seq: 4, code: 'SEALED_UNREADABLE' },
    ]);
    expect(sealedRefusals(kr, TW)).toEqual([{ seq: 3, code: 'SEALED_DIGEST_MISMATCH' }]); // kr saw another plaintext
    expect(listed(cn, TW)).toEqual(['1.0.1.0/24', '1.0.5.0/24', '1.0.6.0/24']);
    expect(listed(kr, TW)).toEqual(['1.0.4.0/24', '1.0.5.0/24', '1.0.6.0/24']);
    expect([1, 2, 3, 4, 5, 6].map((seq) => batchRow(cn, TW, seq)?.recipients)).toEqual(['cn-isc', 'cn-isc', 'cn-isc kr-kisa', 'cn-isc kr-kisa', null, 'cn-isc kr-kisa']);
    expect([1, 2, 3, 4, 5, 6].map((seq) => innerOf(cn, TW, seq) !== undefined)).toEqual([true, false, false, false, false, true]);
  });
});

describe('independent checks of checkpoints and proofs with sealed batches in the log', () => {
  const check = (command: string, args: string[], job: unknown) => {
    const out = spawnSync(command, args, { input: JSON.stringify(job), encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`${command} failed: ${out.stderr}`);
    return JSON.parse(out.stdout) as Record<string, unknown>;
  };

  it('Go sumdb/note + sumdb/tlog and a Python RFC 9162 checker accept jp-dekyo’s feed as kr serves and holds it', async () => {
    const checker = join(tmp.path, 'checker');
    execFileSync('go', ['build', '-o', checker, fileURLToPath(new URL('../interop/checker.go', import.meta.url))], {
      env: { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOCACHE: join(tmp.path, 'gocache'), GOFLAGS: '' },
      stdio: 'pipe',
    });
    const get = async (path: string) => {
      const res = await fetch(`${jp.url}${path}`);
      expect(res.status, path).toBe(200);
      return path.endsWith('/checkpoint') ? res.text() : res.json();
    };
    expect((await kr.pull('jp-dekyo'))?.ok).toBe(true); // the whole feed in kr's log
    const note = (await get('/v1/feeds/jp-dekyo/checkpoint')) as string;
    const [, sizeText, root] = note.split('\n');
    const size = Number(sizeText);
    const sealedSeqs = rows<{ seq: number }>(jp, "SELECT seq FROM batches WHERE publisher = 'jp-dekyo' AND recipients IS NOT NULL").map((r) => r.seq);
    expect(sealedSeqs.length).toBeGreaterThanOrEqual(3);
    expect(size).toBeGreaterThan(Math.max(...sealedSeqs) - 1);
    const inclusion = [];
    const leaves = [];
    for (let seq = 1; seq <= size; seq++) {
      const p = (await get(`/v1/feeds/jp-dekyo/proof/inclusion?seq=${seq}&size=${size}`)) as { leafHash: string; proof: string[] };
      inclusion.push({ index: seq - 1, leafHash: p.leafHash, proof: p.proof });
      const jws = readBatchJws(kr.store, 'jp-dekyo', seq);
      if (jws !== undefined) leaves.push({ index: seq - 1, jws });
    }
    const consistency = [];
    for (let from = 1; from < size; from++) {
      const p = (await get(`/v1/feeds/jp-dekyo/proof/consistency?from=${from}&to=${size}`)) as { proof: string[] };
      // The earlier roots as kr's own copy of the tree gives them.
      consistency.push({ from, fromRoot: treeRoot(kr.store, 'jp-dekyo', from).toString('base64'), proof: p.proof });
    }
    const verifierKey = jp.descriptor().checkpointKey;
    const go = check(checker, [], { verifierKey, note, size, root, inclusion, consistency });
    expect(go.noteError).toBe('');
    expect(go.inclusion).toEqual(inclusion.map(() => ''));
    expect(go.consistency ?? []).toEqual(consistency.map(() => ''));
    // The system's Python, where .ci/run installs python3-cryptography (Ed25519 for the note).
    const py = check(existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3', [fileURLToPath(new URL('../interop/check_proofs.py', import.meta.url))], { verifierKey, note, size, root, leaves, inclusion, consistency });
    expect(py).toEqual({ note: '', leaves: leaves.map(() => ''), inclusion: inclusion.map(() => ''), consistency: consistency.map(() => '') });
    expect(leaves.length).toBe(size);
  });
});

describe('rotating the encryption key', () => {
  it('`spamx key rotate` makes a new X25519 key; partners seal to it, and batches sealed to the old one still open', async () => {
    const old = encOf(cn);
    const rotated = await runCli(['key', 'rotate', '--data', cn.config.paths.dir]);
    expect(rotated.code, rotated.stderr).toBe(0);
    const fresh = encOf(cn);
    expect(fresh.kid).not.toBe(old.kid);
    expect(statSync(join(cn.config.paths.retiredKeys, `${old.kid}.private.jwk`)).mode & 0o777).toBe(0o600);
    // jp follows cn's statements on its next pull and seals to the new key.
    expect((await jp.pull('cn-isc'))?.ok).toBe(true);
    expect(statedEncKey(jp.store, 'cn-isc')?.kid).toBe(fresh.kid);
    jp.reportText('61.8.0.0/24\n', { recipients: 'cn-isc' });
    const [batch] = await jp.publish();
    const outerJws = readBatchJws(jp.store, 'jp-dekyo', batch!.seq)!;
    const sealed = (JSON.parse(Buffer.from(outerJws.split('.')[1]!, 'base64url').toString('utf8')) as { sealed: { jwe: { recipients: { header: { kid: string } }[] } } }).sealed;
    expect(sealed.jwe.recipients.map((r) => r.header.kid)).toEqual([fresh.kid]);
    expect((await cn.pull('jp-dekyo'))?.ok).toBe(true);
    expect(listed(cn, 'jp-dekyo')).toContain('61.8.0.0/24');
    // A batch sealed to cn's old key (tw's, written before it learnt of the rotation) still opens.
    await outer(await sealInner(Buffer.from(await inner(['1.0.7.0/24'])), new Map([['cn-isc', old]]), 'amber'));
    const report = await cn.pull(TW);
    expect(report).toMatchObject({ ok: true, batches: 1 });
    expect(listed(cn, TW)).toContain('1.0.7.0/24');
    expect(sealedRefusals(cn, TW).map((r) => r.seq)).toEqual([2, 3, 4]);
  });
});
