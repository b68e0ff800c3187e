import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DnsTcpConnection, type DnsTcpLimits } from '../../src/serve/dnsbl/dns-tcp-connection.js';
import { waitFor } from '../helpers/wait-for.js';

const REPLY = 300;
const limits: DnsTcpLimits = { idleMs: 30_000, lifetimeMs: 60_000, maxQueuedBytes: 16 * 1024 };
let server: Server | undefined;
let client: Socket | undefined;

afterEach(() => {
  client?.destroy();
  server?.close();
});

/** A server whose every reply is REPLY bytes long and starts with the query's first two bytes. */
async function start(): Promise<{ accepted: Promise<Socket>; port: number }> {
  let accept!: (socket: Socket) => void;
  const accepted = new Promise<Socket>((resolve) => (accept = resolve));
  server = createServer({ highWaterMark: limits.maxQueuedBytes }, (socket) => {
    new DnsTcpConnection(socket, (message) => Buffer.concat([message.subarray(0, 2), Buffer.alloc(REPLY - 2)]), limits);
    accept(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { accepted, port: (server.address() as { port: number }).port };
}

describe('DnsTcpConnection (RFC 7766 §6.2.1)', () => {
  it('stops reading while a client does not read its replies, then answers every query in order once it does', async () => {
    const { accepted, port } = await start();
    client = connect(port, '127.0.0.1');
    await once(client, 'connect');
    client.pause();
    const count = 40_000; // 12 MB of replies, far more than kernel buffers hold
    const frames = Buffer.alloc(count * 4);
    for (let i = 0; i < count; i++) frames.writeUInt32BE((2 << 16) | (i & 0xffff), i * 4);
    client.write(frames);
    const socket = await accepted;
    // Wait until the server has stopped reading: what it read no longer grows.
    let last = -1;
    await waitFor('the server to stop reading', () => {
      const read = socket.bytesRead;
      const stopped = read === last && socket.isPaused();
      last = read;
      return stopped;
    }, { intervalMs: 300, timeoutMs: 30_000 });
    expect(socket.bytesRead).toBeLessThan(frames.length);
    // At most the high-water mark and one reply wait in the process; the rest is the kernel's.
    expect(socket.writableLength).toBeLessThanOrEqual(limits.maxQueuedBytes + REPLY + 2);
    // Reading now, the client gets every reply, in order.
    let buffer = Buffer.alloc(0);
    let next = 0;
    client.on('data', (d: Buffer) => {
      buffer = Buffer.concat([buffer, d]);
      let at = 0;
      for (; buffer.length - at >= 2 + REPLY; at += 2 + REPLY) {
        expect(buffer.readUInt16BE(at)).toBe(REPLY);
        expect(buffer.readUInt16BE(at + 2)).toBe(next++ & 0xffff);
      }
      buffer = buffer.subarray(at);
    });
    client.resume();
    await waitFor('every reply', () => next === count, { timeoutMs: 60_000 });
  });
});
