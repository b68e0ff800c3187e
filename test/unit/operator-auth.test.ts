import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { NodeConfig } from '../../src/config/config.js';
import { SpamxError } from '../../src/core/errors.js';
import { httpStatus } from '../../src/serve/error-status.js';
import { operatorAuth } from '../../src/serve/operator-auth.js';

/** A node's deps as far as operatorAuth reads them: three wrong tokens a minute. */
function depsAt(clock: { now: number }) {
  const config = { serve: { operatorFailedAuthPerMinute: 3 }, subscribers: { failedAuthClients: 100 } } as unknown as NodeConfig;
  return { operatorToken: 'the-token', config, clock: () => clock.now };
}

/** An app of one operator route, as each route file builds its own with operatorAuth(deps). */
function routeFile(deps: ReturnType<typeof depsAt>, path: string): Hono {
  const app = new Hono();
  app.get(path, operatorAuth(deps), (c) => c.text('ok'));
  app.onError((err, c) => c.json({ code: (err as SpamxError).code }, httpStatus((err as SpamxError).code)));
  return app;
}

const ask = async (app: Hono, path: string, token: string) => {
  const res = await app.request(path, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, retryAfter: res.headers.get('retry-after') };
};

describe('operatorAuth', () => {
  it('counts wrong tokens once per node, whichever route file built the check', async () => {
    const clock = { now: 1_000_000 };
    const deps = depsAt(clock);
    const [status, reports] = [routeFile(deps, '/status'), routeFile(deps, '/reports')];
    expect((await ask(status, '/status', 'wrong-1')).status).toBe(401);
    expect((await ask(reports, '/reports', 'wrong-2')).status).toBe(401);
    expect((await ask(status, '/status', 'wrong-3')).status).toBe(401);
    const limited = await ask(reports, '/reports', 'the-token');
    expect(limited.status).toBe(429);
    expect(Number(limited.retryAfter)).toBeGreaterThanOrEqual(1);
    // Another node (another deps object) counts its own.
    expect((await ask(routeFile(depsAt(clock), '/status'), '/status', 'the-token')).status).toBe(200);
    // A minute later the address has tries again.
    clock.now += 60_000;
    expect((await ask(status, '/status', 'the-token')).status).toBe(200);
  });
});
