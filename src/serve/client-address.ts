import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';
import { clientNetwork } from '../core/client-network.js';

/**
 * The client a per-address limit counts a request against: its address, or an IPv6 address's
 * /64 (core/client-network.ts). Without node's bindings (`app.request()` in tests) every request
 * is the one client ''.
 */
export function clientOf(c: Context): string {
  return clientNetwork((c.env as Partial<HttpBindings> | undefined)?.incoming?.socket?.remoteAddress ?? '');
}
