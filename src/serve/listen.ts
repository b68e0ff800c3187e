import { serve, type ServerType } from '@hono/node-server';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { NodeConfig } from '../config/config.js';

/**
 * Listens on the configured address (TLS when configured); rejects when the port is taken. A
 * client gets `headersTimeoutMs` to send its headers and `requestTimeoutMs` for its whole
 * request, checked every few seconds; open connections are capped, and so are headers (16 KiB). Responses are bounded by
 * src/serve/response-limits.ts.
 */
export function listen(fetch: Parameters<typeof serve>[0]['fetch'], config: NodeConfig): Promise<ServerType> {
  const { tls, serve: limits } = config;
  const timeouts = {
    requestTimeout: limits.requestTimeoutMs,
    headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
    connectionsCheckingInterval: Math.min(5_000, limits.headersTimeoutMs),
    // Node's default, said here because parsers behind it (ETag lists, filters) rely on a cap.
    maxHeaderSize: 16_384,
  };
  return new Promise<ServerType>((resolve, reject) => {
    const server = serve(
      {
        fetch,
        port: config.port,
        hostname: config.host,
        serverOptions: { ...timeouts, ...(tls ? { cert: readFileSync(tls.cert), key: readFileSync(tls.key) } : {}) },
        ...(tls ? { createServer: createHttpsServer } : {}),
      },
      () => resolve(server),
    );
    server.maxConnections = limits.maxConnections;
    server.once('error', reject);
  });
}
