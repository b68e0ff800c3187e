import { createPrivateKey } from 'node:crypto';
import { exportJWK } from 'jose';
import { formatCheckpoint } from '../../src/core/checkpoint.js';
import { consistencyProof, MemoryTree } from '../../src/core/merkle.js';
import { signerFor, signNote } from '../../src/core/signed-note.js';
import { leafHash } from '../../src/core/leaf-hash.js';
import { FakePeerServer, leafOf, listEntry, pageHandler, payloadJson, signRaw, type TestKey } from './fake-peer.js';

/**
 * A publisher's feed built by hand (batches, Merkle tree, signed checkpoints), served by a
 * FakePeerServer: what a test needs to make a publisher lie in precise ways.
 */
export class FakeLog {
  readonly jws: string[] = [];
  readonly tree = new MemoryTree();

  constructor(
    readonly id: string,
    readonly key: TestKey,
  ) {}

  /** Appends a batch listing these addresses. */
  async append(addresses: readonly string[]): Promise<void> {
    const jws = await signRaw(this.key, payloadJson({ publisher: this.id, seq: this.jws.length + 1, prev: this.jws.length ? leafOf(this.jws.at(-1)!) : null, entries: addresses.map((a) => listEntry(a)) }));
    this.jws.push(jws);
    this.tree.append(leafHash(jws));
  }

  /** A signed checkpoint note of the tree at `size` (or one claiming `root` instead). */
  async checkpoint(size = this.jws.length, root = this.tree.root(size)): Promise<string> {
    const key = createPrivateKey({ key: (await exportJWK(this.key.privateKey)) as never, format: 'jwk' });
    return signNote(formatCheckpoint({ origin: `spamx/${this.id}`, size, root, extensions: [] }), [signerFor(`spamx/${this.id}`, key)]);
  }

  /** Serves batches (up to `batches`), a checkpoint note and consistency proofs on `server`. */
  serve(server: FakePeerServer, options: { batches?: number; checkpoint: () => string }): void {
    const base = `/v1/feeds/${this.id}`;
    server.routes.set(`${base}/batches`, (req, res) => pageHandler(this.id, this.jws.slice(0, options.batches ?? this.jws.length))(req, res));
    server.routes.set(`${base}/checkpoint`, (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(options.checkpoint()));
    server.routes.set(`${base}/proof/consistency`, (req, res) => {
      const q = new URL(req.url ?? '/', 'http://x').searchParams;
      const proof = consistencyProof(this.tree.read, Number(q.get('from')), Number(q.get('to'))).map((h) => h.toString('base64'));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ proof }));
    });
  }
}
