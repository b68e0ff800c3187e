import { copyFileSync, existsSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importJWK, type CryptoKey, type JWK } from 'jose';
import { parseNote, parseVerifierKey, verifyNote } from '../../src/core/signed-note.js';
import type { SpamxNode } from '../../src/daemon.js';
import { feedHead } from '../../src/store/feed-store.js';
import { heldStatements } from '../../src/store/key-statement-store.js';
import { checkpointVerifier } from '../../src/verify/checkpoint-keys.js';
import { parseDescriptor } from '../../src/config/descriptor.js';
import { PeerFileSchema } from '../../src/config/peers.js';
import { pinPeer } from '../../src/node-files/pin-peer.js';
import { createPendingKey, keyFileKid, pendingKeyPath, retiredKeyPath } from '../../src/node-files/own-keys.js';
import { writePeerFile } from '../../src/node-files/write-peer-file.js';
import { publishQueued } from '../../src/ingest/publish-batches.js';
import { rotateOwnKey } from '../../src/ingest/rotate-key.js';
import { FakePeerServer, leafOf, listEntry, pageHandler, payloadJson, signRaw, testKey, type Handler, type TestKey } from '../helpers/fake-peer.js';
import { generalSignRaw } from '../helpers/key-statement-fakes.js';
import { initTestNode, pinTestPeer, PUBLIC_FEEDS, startTestNode } from '../helpers/nodes.js';
import { runCli } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * Key rotation and revocation (README "Key rotation") across real nodes: a publisher rotates
 * mid-feed with `spamx key rotate` while its daemon runs; partners pinned to the old key follow
 * the signed statement on their next pull, directly or through a mirror; an auditor holding only
 * the old key audits the whole feed; forged rotations and batches by a revoked key are refused.
 */
const tmp = tempDir();
const started: SpamxNode[] = [];
const fakes: FakePeerServer[] = [];

afterAll(async () => {
  await Promise.all(started.map((n) => n.destroy().catch(() => undefined)));
  await Promise.all(fakes.map((f) => f.close()));
  tmp.cleanup();
});

async function node(id: string): Promise<SpamxNode> {
  const n = await startTestNode(await initTestNode(tmp.path, { id, config: PUBLIC_FEEDS }));
  started.push(n);
  return n;
}

async function fake(): Promise<[FakePeerServer, string]> {
  const f = new FakePeerServer();
  fakes.push(f);
  return [f, await f.listen()];
}

async function publish(n: SpamxNode, ...lines: string[]): Promise<void> {
  n.reportText(`${lines.join('\n')}\n`);
  expect(await n.publish()).toHaveLength(1);
}

const json = async <T>(url: string) => (await (await fetch(url)).json()) as T;
const batchesOf = async (n: SpamxNode, publisher: string) =>
  (await json<{ batches: { seq: number; jws: string }[] }>(`${n.url}/v1/feeds/${publisher}/batches?after=0`)).batches.map((b) => b.jws);
const kidOf = (jws: string) => (JSON.parse(Buffer.from(jws.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
const peerFile = (n: SpamxNode, id: string) =>
  JSON.parse(readFileSync(join(n.config.paths.peers, `${id}.json`), 'utf8')) as { keys: { keys: { kid: string }[] }; checkpointKey?: string };

describe('key rotation', () => {
  it('a publisher rotates mid-feed; a peer pinned to the old key, a mirror and an auditor follow', async () => {
    const hk = await node('hk-ofta');
    const jp = await node('jp-dekyo');
    await pinTestPeer(jp, hk);
    const oldKid = hk.identity.kid;
    const oldCheckpointKey = hk.checkpointKey;
    const originalDescriptor = hk.descriptor();
    const oldKeyFile = join(tmp.path, 'hk-ofta-original.jwk');
    writeFileSync(oldKeyFile, readFileSync(hk.config.paths.publicKey));

    await publish(hk, '61.4.12.1');
    await publish(hk, '61.4.12.2');
    await publish(hk, '116.31.64.0/24');
    expect((await jp.pull('hk-ofta'))!.toSeq).toBe(3);

    // The operator rotates with the CLI while the daemon runs.
    const rotated = await runCli(['key', 'rotate', '--data', hk.config.paths.dir]);
    expect(rotated.stderr).toBe('');
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toContain('signs batches from seq 4');
    const archived = join(hk.config.paths.retiredKeys, `${oldKid}.private.jwk`);
    expect(statSync(archived).mode & 0o777).toBe(0o600);
    expect(statSync(hk.config.paths.privateKey).mode & 0o777).toBe(0o600);
    // Until the next batch the served checkpoint carries both signatures.
    const bridging = parseNote(await (await fetch(`${hk.url}/v1/feeds/hk-ofta/checkpoint`)).text());
    expect(verifyNote(bridging, [parseVerifierKey(oldCheckpointKey)])).toHaveLength(1);

    await publish(hk, '202.12.27.33');
    await publish(hk, '61.4.13.0/24');
    await publish(hk, '116.31.65.7');
    const newKid = hk.identity.kid;
    expect(newKid).not.toBe(oldKid);
    expect((await batchesOf(hk, 'hk-ofta')).map(kidOf)).toEqual([oldKid, oldKid, oldKid, newKid, newKid, newKid]);
    const descriptor = await json<{ keys: { keys: { kid: string; use?: string }[] }; checkpointKey: string }>(`${hk.url}/.well-known/spamx`);
    // The signing key, then the X25519 encryption key (sealed batches), which rotated with it.
    expect(descriptor.keys.keys.filter((k) => k.use !== 'enc').map((k) => k.kid)).toEqual([newKid]);
    expect(descriptor.keys.keys.filter((k) => k.use === 'enc')).toHaveLength(1);
    expect(parseVerifierKey(descriptor.checkpointKey).name).toBe(parseVerifierKey(oldCheckpointKey).name);
    expect(descriptor.checkpointKey).not.toBe(oldCheckpointKey);

    // The peer pinned to the old key follows the statement and verifies all six batches.
    const report = (await jp.pull('hk-ofta'))!;
    expect(report.error).toBeUndefined();
    expect(report.toSeq).toBe(6);
    expect(jp.lookup('116.31.65.7').listed).toBe(true);
    expect(peerFile(jp, 'hk-ofta').keys.keys.map((k) => k.kid)).toEqual([newKid]);
    // The statement that named hk's encryption key at its first start (sealed batches), then the rotation.
    expect(heldStatements(jp.store, 'hk-ofta')).toHaveLength(2);
    const held = await runCli(['key', 'list', '--data', jp.config.paths.dir, '--publisher', 'hk-ofta']);
    expect(held.stdout).toMatch(new RegExp(`current\\s+${newKid}\\s+batches 4\\.\\.\n\\s+retired\\s+${oldKid}\\s+batches 1\\.\\.3\n`));
    // Its witness step verified the publisher's checkpoint with the new key, under the same name.
    expect(report.witness).toEqual({ status: 'cosigned', size: 6 });
    const verifier = checkpointVerifier(jp.peers.find((p) => p.id === 'hk-ofta')!);
    expect(verifier.publicKey.toString('base64url')).toBe(hk.identity.publicJwk.x);
    const note = parseNote(await (await fetch(`${hk.url}/v1/feeds/hk-ofta/checkpoint`)).text());
    expect(verifyNote(note, [verifier])).toHaveLength(1);
    expect(() => verifyNote(note, [parseVerifierKey(oldCheckpointKey)])).toThrow();

    // A node pinned to the old key too, reading hk-ofta only through jp-dekyo's verified copies.
    const tw = await node('tw-ncc');
    await pinPeer(tw.config, parseDescriptor(originalDescriptor, 'original descriptor'), { url: jp.url });
    await tw.reload();
    const viaMirror = (await tw.pull('hk-ofta'))!;
    expect(viaMirror.error).toBeUndefined();
    expect(viaMirror.toSeq).toBe(6);

    // An auditor with only the original public key audits the whole feed.
    const audit = await runCli(['audit', hk.url, 'hk-ofta', '--key', oldKeyFile]);
    expect(audit.stderr).toBe('');
    expect(audit.code).toBe(0);
    expect(audit.stdout).toContain('6 batches verified');

    const listed = await runCli(['key', 'list', '--data', hk.config.paths.dir, '--json']);
    expect(JSON.parse(listed.stdout)).toMatchObject({
      publisher: 'hk-ofta',
      statements: 2,
      keys: [
        { kid: newKid, status: 'current', fromSeq: 4, throughSeq: null },
        { kid: oldKid, status: 'retired', fromSeq: 1, throughSeq: 3, revokedAfter: null },
      ],
    });
  });

  it('a rotation forged by a hostile mirror is refused and nothing is stored', async () => {
    const cn = await node('cn-isc');
    await publish(cn, '61.4.20.1');
    const victim = await node('jp-victim');
    const [mirror, mirrorUrl] = await fake();
    const attacker = await testKey();
    const intruder = await testKey();
    const entries = [listEntry('202.12.28.1')];
    const forgedBatch = await signRaw(intruder, payloadJson({ publisher: 'cn-isc', seq: 1, prev: null, entries }));
    // "cn-isc rotated to the intruder's key": signed by the attacker and the intruder only.
    const statement = await generalSignRaw(
      { spamx: 1, publisher: 'cn-isc', statement: 1, prev: null, issuedAt: '2026-11-22T10:15:00Z', fromSeq: 1, keys: [{ ...intruder.publicJwk, kid: intruder.kid }], previous: [{ ...attacker.publicJwk, kid: attacker.kid }] },
      [attacker, intruder],
    );
    mirror.routes.set('/v1/feeds/cn-isc/keys', jsonHandler({ publisher: 'cn-isc', statements: [statement] }));
    mirror.routes.set('/v1/feeds/cn-isc/batches', pageHandler('cn-isc', [forgedBatch]));

    await pinTestPeer(victim, cn, { url: mirrorUrl });
    const report = (await victim.pull('cn-isc'))!;
    expect(report.error?.code).toBe('KEYS_NOT_AUTHORIZED');
    expect(feedHead(victim.store, 'cn-isc').size).toBe(0);
    expect(heldStatements(victim.store, 'cn-isc')).toEqual([]);
    expect(peerFile(victim, 'cn-isc').keys.keys.map((k) => k.kid)).toEqual([cn.identity.kid]);
    expect(victim.lookup('202.12.28.1').listed).toBe(false);
  });

  it('key statements come over the connections the node keeps, not a new one each pull', async () => {
    const th = await node('th-nbtc');
    await publish(th, '61.4.20.1');
    const jp = await node('jp-keepalive');
    const [relay, relayUrl] = await fake();
    let keyRequests = 0;
    const keys = jsonHandler(await json(`${th.url}/v1/feeds/th-nbtc/keys`));
    relay.routes.set('/v1/feeds/th-nbtc/keys', (req, res) => {
      keyRequests++;
      keys(req, res);
    });
    relay.routes.set('/v1/feeds/th-nbtc/batches', pageHandler('th-nbtc', await batchesOf(th, 'th-nbtc')));
    await pinTestPeer(jp, th, { url: relayUrl });

    expect((await jp.pull('th-nbtc'))?.batches).toBe(1);
    const afterFirst = relay.connections;
    for (let i = 0; i < 3; i++) expect((await jp.pull('th-nbtc'))?.ok).toBe(true);
    expect(keyRequests).toBe(4);
    // A client made per pull for the key statements opened a connection each time.
    expect(relay.connections).toBe(afterFirst);
  });

  it('after `key revoke KID --after-seq 3`, a batch 4 signed by that key is refused as JWS_REVOKED_KEY', async () => {
    const publisher = await node('kr-kisa');
    const receiver = await node('sg-imda');
    await pinTestPeer(receiver, publisher);
    for (const ip of ['61.4.30.1', '61.4.30.2', '61.4.30.3']) await publish(publisher, ip);
    expect((await receiver.pull('kr-kisa'))!.toSeq).toBe(3);
    const oldKid = publisher.identity.kid;

    const dir = publisher.config.paths.dir;
    expect((await runCli(['key', 'rotate', '--data', dir])).code).toBe(0);
    const refused = await runCli(['key', 'revoke', '--data', dir, oldKid, '--after-seq', '2']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('published seq 3');
    const revoked = await runCli(['key', 'revoke', '--data', dir, oldKid, '--after-seq', '3']);
    expect(revoked.stderr).toBe('');
    expect(revoked.code).toBe(0);
    const list = await runCli(['key', 'list', '--data', dir]);
    expect(list.stdout).toMatch(new RegExp(`revoked\\s+${oldKid}\\s+batches 1\\.\\.3, refused after seq 3`));

    // Someone holding the old private key forges batch 4; a hostile mirror serves it with the
    // publisher's genuine statements.
    const stolen = (await importJWK(JSON.parse(readFileSync(join(publisher.config.paths.retiredKeys, `${oldKid}.private.jwk`), 'utf8')) as JWK, 'EdDSA')) as CryptoKey;
    const thief: TestKey = { kid: oldKid, publicJwk: {}, privateKey: stolen };
    const honest = await batchesOf(publisher, 'kr-kisa');
    const forged = await signRaw(thief, payloadJson({ publisher: 'kr-kisa', seq: 4, prev: leafOf(honest[2]!), entries: [listEntry('202.12.29.9')] }));
    const [mirror, mirrorUrl] = await fake();
    const statements = await json<unknown>(`${publisher.url}/v1/feeds/kr-kisa/keys`);
    mirror.routes.set('/v1/feeds/kr-kisa/keys', jsonHandler(statements));
    mirror.routes.set('/v1/feeds/kr-kisa/batches', pageHandler('kr-kisa', [...honest, forged]));

    repoint(receiver, 'kr-kisa', mirrorUrl); // still pinned to the old key
    await receiver.reload();
    const report = (await receiver.pull('kr-kisa'))!;
    expect(report.error).toMatchObject({ code: 'JWS_REVOKED_KEY', seq: 4 });
    expect(feedHead(receiver.store, 'kr-kisa').size).toBe(3);
    expect(receiver.lookup('202.12.29.9').listed).toBe(false);
    // Statement 1 published kr's encryption key at its first start (sealed batches), then the rotation and the revocation.
    expect(heldStatements(receiver.store, 'kr-kisa')).toHaveLength(3);

    // The publisher's own batch 4, signed by the new key, still goes through.
    await publish(publisher, '61.4.30.4');
    repoint(receiver, 'kr-kisa', publisher.url);
    await receiver.reload();
    expect((await receiver.pull('kr-kisa'))!).toMatchObject({ ok: true, toSeq: 4 });
  });
});

describe('key rotation: crash safety', () => {
  it('a node finishes a rotation whose statement was stored, and ignores a pending key whose statement was not', async () => {
    const dir = await initTestNode(tmp.path, { id: 'tw-crash' });
    const original = keyFileKid(join(dir, 'keys', 'ed25519.private.jwk'));
    const first = await startTestNode(dir);
    started.push(first);
    const paths = first.config.paths;
    const stale = await createPendingKey(paths, new Set(), Date.now()); // a rotation that died before its statement
    await first.destroy();
    const restarted = await startTestNode(dir);
    started.push(restarted);
    expect(restarted.identity.kid).toBe(original);
    expect(existsSync(stale.file)).toBe(true); // a node never deletes one: another process may be mid-rotation
    await restarted.destroy();

    const anHourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(stale.file, anHourAgo, anHourAgo);
    expect((await runCli(['key', 'rotate', '--data', dir])).code).toBe(0);
    expect(existsSync(stale.file)).toBe(false); // the next rotation sweeps it
    const rotated = keyFileKid(paths.privateKey);
    // Wind the files back to just after the statement was stored, before the switch.
    copyFileSync(paths.privateKey, pendingKeyPath(paths, rotated));
    copyFileSync(retiredKeyPath(paths, original), paths.privateKey);
    const recovered = await startTestNode(dir);
    started.push(recovered);
    expect(recovered.identity.kid).toBe(rotated);
    expect(keyFileKid(paths.privateKey)).toBe(rotated);
    expect(existsSync(pendingKeyPath(paths, rotated))).toBe(false);
    expect(JSON.parse(readFileSync(paths.publicKey, 'utf8'))).toMatchObject({ kid: rotated });
  });

  it('a batch signed with the retired key after a rotation is refused by the publisher itself', async () => {
    const n = await node('tw-race');
    await publish(n, '61.4.40.1');
    const stale = n.identity;
    // Another process rotates between this node reading its key and signing the next batch.
    await rotateOwnKey({ store: n.store, config: n.config, clock: n.clock }, { revokeOld: false });
    n.reportText('61.4.40.2\n');
    const deps = { store: n.store, config: n.config, policy: n.policy, clock: n.clock, log: n.log };
    await expect(publishQueued({ ...deps, identity: stale })).rejects.toMatchObject({ code: 'JWS_KEY_NOT_IN_FORCE' });
    expect(feedHead(n.store, 'tw-race').size).toBe(1);
    expect(await n.publish()).toMatchObject([{ seq: 2 }]); // the node reloads its key and signs again
    expect(kidOf((await batchesOf(n, 'tw-race'))[1]!)).toBe(keyFileKid(n.config.paths.privateKey));
    expect((await fetch(`${n.url}/v1/feeds/nobody/keys`)).status).toBe(404);
  });
});

describe('key CLI', () => {
  it('takes a KID beginning with "-" (base64url) as the key to revoke, not as options', async () => {
    for (let i = 0; ; i++) {
      const dir = await initTestNode(join(tmp.path, 'dash'), { id: `tw-dash${i}` });
      const kid = keyFileKid(join(dir, 'keys', 'ed25519.private.jwk'));
      if (!kid.startsWith('-')) continue; // one key in 64
      expect((await runCli(['key', 'rotate', '--data', dir])).code).toBe(0);
      const revoked = await runCli(['key', 'revoke', '--data', dir, kid, '--after-seq', '0']);
      expect(revoked.stderr).toBe('');
      expect(revoked.code).toBe(0);
      expect((await runCli(['key', 'revoke', '--data', dir, '--after-seq', '0', kid])).stderr).toContain('already revoked');
      return;
    }
  });
});

/** Points a pinned peer at another URL, its pins unchanged. */
function repoint(n: SpamxNode, id: string, url: string): void {
  const file = PeerFileSchema.parse(JSON.parse(readFileSync(join(n.config.paths.peers, `${id}.json`), 'utf8')));
  writePeerFile(n.config.paths.peers, { ...file, url });
}

function jsonHandler(body: unknown): Handler {
  return (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
