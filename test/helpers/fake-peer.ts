import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { CompactSign, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { jwkThumbprint, toPublicJwk } from '../../src/verify/pinned-keys.js';
import { leafHash, toBase64Url } from '../../src/core/leaf-hash.js';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * A hand-driven HTTP server standing in for a hostile or broken peer: each path answers what
 * the test says, byte for byte. `close()` also destroys sockets the handlers left hanging.
 */
export class FakePeerServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  readonly routes = new Map<string, Handler>();
  /** TCP connections accepted so far. */
  connections = 0;

  constructor() {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0]!;
      const handler = this.routes.get(path);
      if (handler) handler(req, res);
      else res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"NOT_FOUND"}}');
    });
    this.server.on('connection', (s) => {
      this.connections++;
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

export interface TestKey {
  readonly kid: string;
  readonly publicJwk: JWK;
  readonly privateKey: CryptoKey;
}

export async function testKey(): Promise<TestKey> {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const publicJwk = toPublicJwk(await exportJWK(publicKey), 'test key');
  return { kid: await jwkThumbprint(publicJwk), publicJwk: { ...publicJwk }, privateKey };
}

/** A descriptor (`/.well-known/spamx`) for a fake peer. */
export function descriptorFor(id: string, key: TestKey, url?: string) {
  return { id, name: `${id} (fake)`, protocol: 1 as const, keys: { keys: [{ ...key.publicJwk, kid: key.kid }] }, ...(url ? { url } : {}) };
}

/** Signs arbitrary payload text with arbitrary protected-header members (for hostile batches). */
export async function signRaw(key: TestKey, payload: string, header: Record<string, unknown> = {}): Promise<string> {
  return new CompactSign(new TextEncoder().encode(payload))
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'spamx-batch+jws', ...header } as { alg: string })
    .sign(key.privateKey);
}

export interface PayloadOptions {
  publisher: string;
  seq: number;
  prev: string | null;
  entries: unknown[];
  issuedAt?: string;
}

export function payloadJson(o: PayloadOptions): string {
  return JSON.stringify({ spamx: 1, publisher: o.publisher, seq: o.seq, prev: o.prev, issuedAt: o.issuedAt ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z'), entries: o.entries });
}

export function leafOf(jws: string): string {
  return toBase64Url(leafHash(jws));
}

export function listEntry(prefix: string, days = 30) {
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
  return { op: 'list', prefix, firstSeen: iso(now - 3_600_000), lastSeen: iso(now), reports: 3, expires: iso(now + days * 86_400_000), category: 'spam-origin' };
}

/** Serves a feed page with the given batches, as `GET /v1/feeds/{id}/batches` does. */
export function pageHandler(publisher: string, jwsList: readonly string[]): Handler {
  return (req, res) => {
    const after = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('after') ?? 0);
    const batches = jwsList.map((jws, i) => ({ seq: i + 1, jws })).filter((b) => b.seq > after);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ publisher, batches, next: null }));
  };
}
