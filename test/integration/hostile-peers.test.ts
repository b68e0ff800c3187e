import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpamxNode } from '../../src/daemon.js';
import { pinPeer } from '../../src/node-files/pin-peer.js';
import { parseDescriptor } from '../../src/config/descriptor.js';
import { feedHead } from '../../src/store/feed-store.js';
import type { ErrorCode } from '../../src/core/errors.js';
import { descriptorFor, FakePeerServer, leafOf, listEntry, pageHandler, payloadJson, signRaw, testKey, type Handler, type TestKey } from '../helpers/fake-peer.js';
import { initTestNode, pinTestPeer, PUBLIC_FEEDS, startTestNode } from '../helpers/nodes.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * One victim node pins a dozen peers that misbehave in a dozen ways, plus one honest peer. A
 * single pull round must reject each hostile feed with its own reason code, store nothing of
 * it, and still apply the honest peer's batch.
 */
const tmp = tempDir();
const fake = new FakePeerServer();
let victim: SpamxNode;
let honest: SpamxNode;
let fakeUrl: string;

interface Case {
  readonly id: string;
  readonly code: ErrorCode;
  readonly handler: (key: TestKey, stranger: TestKey) => Promise<Handler>;
}

const b64 = (s: string) => Buffer.from(s).toString('base64url');
const entries = [listEntry('61.4.12.7'), listEntry('116.31.64.0/24')];
const page = (id: string, jws: string[]) => pageHandler(id, jws);

const CASES: Case[] = [
  {
    id: 'bad-signature',
    code: 'JWS_BAD_SIGNATURE',
    handler: async (key) => {
      const jws = await signRaw(key, payloadJson({ publisher: 'bad-signature', seq: 1, prev: null, entries }));
      const sig = jws.slice(jws.lastIndexOf('.') + 1);
      const flipped = `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
      return page('bad-signature', [`${jws.slice(0, jws.lastIndexOf('.') + 1)}${flipped}`]);
    },
  },
  {
    id: 'unpinned-kid',
    code: 'JWS_UNKNOWN_KID',
    handler: async (_key, stranger) => page('unpinned-kid', [await signRaw(stranger, payloadJson({ publisher: 'unpinned-kid', seq: 1, prev: null, entries }))]),
  },
  {
    id: 'alg-none',
    code: 'JWS_ALG_NONE',
    handler: async (key) => {
      const header = b64(JSON.stringify({ alg: 'none', kid: key.kid, typ: 'spamx-batch+jws' }));
      return page('alg-none', [`${header}.${b64(payloadJson({ publisher: 'alg-none', seq: 1, prev: null, entries }))}.`]);
    },
  },
  {
    id: 'hs256-public-key',
    code: 'JWS_ALG_NOT_ALLOWED',
    handler: async (key) => {
      // The classic key-confusion attack: HMAC keyed with the publisher's public key bytes.
      const { CompactSign } = await import('jose');
      const secret = Buffer.from(key.publicJwk.x as string, 'base64url');
      const jws = await new CompactSign(new TextEncoder().encode(payloadJson({ publisher: 'hs256-public-key', seq: 1, prev: null, entries })))
        .setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: 'spamx-batch+jws' })
        .sign(secret);
      return page('hs256-public-key', [jws]);
    },
  },
  {
    id: 'wrong-typ',
    code: 'JWS_BAD_TYP',
    handler: async (key) => page('wrong-typ', [await signRaw(key, payloadJson({ publisher: 'wrong-typ', seq: 1, prev: null, entries }), { typ: 'JWT' })]),
  },
  {
    id: 'seq-gap',
    code: 'BATCH_SEQ_GAP',
    handler: async (key) => {
      const jws = await signRaw(key, payloadJson({ publisher: 'seq-gap', seq: 2, prev: null, entries }));
      return (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ publisher: 'seq-gap', batches: [{ seq: 2, jws }], next: null }));
    },
  },
  {
    id: 'broken-prev',
    code: 'BATCH_PREV_MISMATCH',
    handler: async (key) => page('broken-prev', [await signRaw(key, payloadJson({ publisher: 'broken-prev', seq: 1, prev: leafOf('not-a-real-batch'), entries }))]),
  },
  {
    id: 'other-publisher',
    code: 'BATCH_WRONG_PUBLISHER',
    handler: async (key) => page('other-publisher', [await signRaw(key, payloadJson({ publisher: 'cn-isc', seq: 1, prev: null, entries }))]),
  },
  {
    id: 'duplicate-keys',
    code: 'BATCH_DUPLICATE_KEY',
    handler: async (key) => {
      const payload = payloadJson({ publisher: 'duplicate-keys', seq: 1, prev: null, entries }).replace('"seq":1', '"seq":1,"seq":1');
      return page('duplicate-keys', [await signRaw(key, payload)]);
    },
  },
  {
    id: 'invalid-json',
    code: 'BATCH_INVALID_JSON',
    handler: async (key) => page('invalid-json', [await signRaw(key, '{"spamx":1,"publisher":"invalid-json",')]),
  },
  {
    id: 'oversize-body',
    code: 'PEER_BODY_TOO_LARGE',
    handler: async () => (_req, res) => {
      // No content-length: the limit must hold while streaming, not only on a declared size.
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const pump = () => {
        while (sent < 8 * 1024 * 1024 && res.write(chunk)) sent += chunk.length;
        if (sent < 8 * 1024 * 1024) res.once('drain', pump);
        else res.end();
      };
      res.on('error', () => undefined);
      pump();
    },
  },
  {
    id: 'endless-body',
    code: 'PEER_DEADLINE_EXCEEDED',
    handler: async () => (_req, res) => {
      // A body that trickles forever: never silent long enough for the body timeout.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"publisher":"endless-body","batches":[');
      const timer = setInterval(() => res.write(' '), 200);
      res.on('close', () => clearInterval(timer));
    },
  },
  {
    id: 'stalled-body',
    code: 'PEER_BODY_TIMEOUT',
    handler: async () => (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"publisher":"stalled-body","batches":[');
    },
  },
  {
    id: 'never-answers',
    code: 'PEER_HEADERS_TIMEOUT',
    handler: async () => () => undefined,
  },
];

beforeAll(async () => {
  fakeUrl = await fake.listen();
  const victimDir = await initTestNode(tmp.path, {
    id: 'jp-dekyo',
    config: {
      pull: {
        connectTimeoutMs: 2_000,
        headersTimeoutMs: 2_000,
        bodyTimeoutMs: 2_000,
        deadlineMs: 6_000,
        maxBodyBytes: 1024 * 1024,
        backoffBaseMs: 200,
        backoffMaxMs: 1_000,
        defaultSchedule: '0 0 1 1 *',
      },
    },
  });
  victim = await startTestNode(victimDir);
  honest = await startTestNode(await initTestNode(tmp.path, { id: 'tw-ncc', config: PUBLIC_FEEDS }));
  honest.reportText('61.4.12.7\n202.12.27.33\n');
  await honest.publish();
  await pinTestPeer(victim, honest);
  const stranger = await testKey();
  for (const c of CASES) {
    const key = await testKey();
    fake.routes.set(`/v1/feeds/${c.id}/batches`, await c.handler(key, stranger));
    await pinPeer(victim.config, parseDescriptor(descriptorFor(c.id, key), 'fake'), { url: `${fakeUrl}` });
  }
  await victim.reload();
});

afterAll(async () => {
  await victim?.destroy();
  await honest?.destroy();
  await fake.close();
  tmp.cleanup();
});

describe('a pull round with hostile and broken peers', () => {
  it('rejects each hostile feed with its own code, stores nothing of it, and applies the honest feed', async () => {
    const reports = await victim.pullAll();
    const byPeer = new Map(reports.map((r) => [r.peer, r]));
    for (const c of CASES) {
      const r = byPeer.get(c.id)!;
      expect({ peer: c.id, code: r.error?.code }).toEqual({ peer: c.id, code: c.code });
      expect(r.ok).toBe(false);
      expect(feedHead(victim.store, c.id)).toEqual({ size: 0, head: null });
      expect(victim.store.prepare('SELECT count(*) FROM listings WHERE publisher = ?').pluck().get(c.id)).toBe(0);
      expect(victim.store.prepare('SELECT count(*) FROM batches WHERE publisher = ?').pluck().get(c.id)).toBe(0);
    }
    const good = byPeer.get('tw-ncc')!;
    expect(good.ok).toBe(true);
    expect(good.batches).toBe(1);
    expect(victim.lookup('202.12.27.33').listed).toBe(true);
    // The codes are distinct: one reason per kind of misbehaviour.
    expect(new Set(CASES.map((c) => c.code)).size).toBe(CASES.length);
  });

  it('records each failure against its peer, visible in status', () => {
    const status = victim.status();
    for (const c of CASES) {
      const peer = status.peers.find((p) => p.id === c.id)!;
      expect(peer.lastError?.code).toBe(c.code);
      expect(peer.consecutiveFailures).toBeGreaterThanOrEqual(1);
      expect(peer.nextAttemptAt).not.toBeNull();
    }
    expect(status.peers.find((p) => p.id === 'tw-ncc')!.lastError).toBeNull();
  });

  it('keeps serving while and after hostile peers are pulled', async () => {
    const pulling = victim.pullAll();
    const res = await fetch(`${victim.url}/v1/blocklist?format=txt`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('202.12.27.33/32');
    await pulling;
    const after = await fetch(`${victim.url}/v1/feeds`);
    expect(after.status).toBe(200);
  });
});
