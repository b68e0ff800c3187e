import { Hono } from 'hono';
import { SpamxError } from '../core/errors.js';
import { feedHead } from '../store/feed-store.js';
import { heldStatements } from '../store/key-statement-store.js';
import type { ServeDeps } from './deps.js';

/**
 * `GET /v1/feeds/{publisher}/keys` (README "Key rotation"): every key statement of a feed this
 * node holds, in order, each an RFC 7515 §7.2.1 General JWS JSON Serialization. The node's own
 * statements, and its verified copies of partners', so a puller can follow a rotation through
 * a mirror: statements are verified against the puller's own pins, whoever serves them.
 */
export function keyRoutes(deps: ServeDeps): Hono {
  const app = new Hono();
  app.get('/v1/feeds/:publisher/keys', (c) => {
    const publisher = c.req.param('publisher');
    const statements = heldStatements(deps.store, publisher);
    if (publisher !== deps.config.id && statements.length === 0 && feedHead(deps.store, publisher).size === 0) {
      throw new SpamxError('NOT_FOUND', `this node holds no feed of ${publisher}`);
    }
    // Stored statements are JSON this node serialized itself: written out as they are.
    const body = `{"publisher":${JSON.stringify(publisher)},"statements":[${statements.map((s) => s.jws).join(',')}]}`;
    return c.body(body, 200, { 'content-type': 'application/json', 'cache-control': 'no-cache' });
  });
  return app;
}
