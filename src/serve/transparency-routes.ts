import { Hono } from 'hono';
import { SpamxError } from '../core/errors.js';
import { consistencyProof, inclusionProof } from '../core/merkle.js';
import { latestCheckpoint } from '../store/checkpoint-store.js';
import { leafHashOf } from '../store/feed-store.js';
import { subtreeReader, treeSize } from '../store/tree-store.js';
import { cosignedNote } from '../store/witness-store.js';
import { intParam } from './query-params.js';
import type { ServeDeps } from './deps.js';

const b64 = (h: Buffer) => h.toString('base64');

/**
 * PROTOCOL "Transparency": each feed's latest signed checkpoint and RFC 9162 §2.1.3–2.1.4
 * proofs against it, for the node's own feed and every feed it holds. Hashes are standard
 * base64, as in checkpoints.
 */
export function transparencyRoutes(deps: ServeDeps): Hono {
  const app = new Hono();
  const sizeOf = (publisher: string) => {
    const size = treeSize(deps.store, publisher);
    if (size === 0) throw new SpamxError('NOT_FOUND', `this node holds no log of ${publisher}`);
    return size;
  };

  app.get('/v1/feeds/:publisher/checkpoint', (c) => {
    const checkpoint = latestCheckpoint(deps.store, c.req.param('publisher'));
    if (!checkpoint) throw new SpamxError('NOT_FOUND', `no checkpoint of ${c.req.param('publisher')} here`);
    return c.body(checkpoint.note, 200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
  });

  app.get('/v1/feeds/:publisher/proof/inclusion', (c) => {
    const publisher = c.req.param('publisher');
    const held = sizeOf(publisher);
    const size = intParam(c.req.query('size'), 'size', latestCheckpoint(deps.store, publisher)?.size ?? held, 1, held);
    const seq = intParam(c.req.query('seq'), 'seq', 0, 1, size);
    if (seq === 0) throw new SpamxError('BAD_REQUEST', 'query parameter "seq" is required');
    const read = subtreeReader(deps.store, publisher);
    return c.json({
      publisher,
      seq,
      leafIndex: seq - 1,
      size,
      leafHash: b64(read(0, seq - 1)),
      proof: inclusionProof(read, seq - 1, size).map(b64),
      batch: `${deps.publicUrl()}/v1/feeds/${publisher}/batches/${seq}`,
      ...(leafHashOf(deps.store, publisher, seq) !== null ? {} : { missing: true }),
    });
  });

  app.get('/v1/feeds/:publisher/proof/consistency', (c) => {
    const publisher = c.req.param('publisher');
    const held = sizeOf(publisher);
    const to = intParam(c.req.query('to'), 'to', latestCheckpoint(deps.store, publisher)?.size ?? held, 1, held);
    const from = intParam(c.req.query('from'), 'from', 0, 1, to);
    if (from === 0) throw new SpamxError('BAD_REQUEST', 'query parameter "from" is required');
    return c.json({ publisher, from, to, proof: consistencyProof(subtreeReader(deps.store, publisher), from, to).map(b64) });
  });

  // This node's cosigned view of a partner's log: the partner's checkpoint note with this
  // node's cosignature (C2SP tlog-cosignature) appended.
  app.get('/v1/witness/:publisher', (c) => {
    const note = cosignedNote(deps.store, c.req.param('publisher'), deps.config.origin);
    if (!note) throw new SpamxError('NOT_FOUND', `this node has not cosigned a checkpoint of ${c.req.param('publisher')}`);
    return c.body(note, 200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
  });

  return app;
}
