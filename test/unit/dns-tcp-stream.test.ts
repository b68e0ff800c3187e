import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DnsTcpConnection, type DnsTcpLimits, type DnsTcpStream } from '../../src/serve/dnsbl/dns-tcp-connection.js';
import { waitFor } from '../helpers/wait-for.js';

const limits: DnsTcpLimits = { idleMs: 30_000, lifetimeMs: 60_000, maxQueuedBytes: 16 * 1024 };
const STREAM_MESSAGES = 2_000;
const STREAM_BYTES = 8_000;
let server: Server | undefined;
let client: Socket | undefined;

afterEach(() => {
  client?.destroy();
  server?.close();
});

/** Queries are one byte of tag: 'S' asks for a stream (a zone transfer's stand-in), anything else gets one 4-byte reply. */
function frame(tag: string): Buffer {
  return Buffer.from([0, 1, tag.charCodeAt(0)]);
}

describe('DnsTcpConnection streams (zone transfers)', () => {
  it('writes a stream between the replies before and after it, in order, and only as fast as the client reads', async () => {
    let sent = 0;
    const stream: DnsTcpStream = {
      accepts: (m) => m[0] === 'S'.charCodeAt(0),
      start: async (_m, send) => {
        for (let i = 0; i < STREAM_MESSAGES; i++) {
          const message = Buffer.alloc(STREAM_BYTES, 0x78);
          message.writeUInt32BE(i, 0);
          await send(message);
          sent++;
        }
      },
    };
    let accept!: (socket: Socket) => void;
    const accepted = new Promise<Socket>((resolve) => (accept = resolve));
    server = createServer({ highWaterMark: limits.maxQueuedBytes }, (socket) => {
      new DnsTcpConnection(socket, (m) => Buffer.from(`ok:${String.fromCharCode(m[0]!)}`), limits, () => undefined, stream);
      accept(socket);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    client = connect((server.address() as { port: number }).port, '127.0.0.1');
    await once(client, 'connect');
    client.pause();
    // Pipelined: a query, the stream, another query.
    client.write(Buffer.concat([frame('a'), frame('S'), frame('b')]));
    const socket = await accepted;
    // The client reads nothing: the stream stops once the socket's queue and the kernel's buffers fill.
    let last = -1;
    await waitFor('the stream to wait for the client', () => {
      const stalled = sent === last && sent > 0;
      last = sent;
      return stalled;
    }, { intervalMs: 300, timeoutMs: 30_000 });
    expect(sent).toBeLessThan(STREAM_MESSAGES);
    expect(socket.writableLength).toBeLessThanOrEqual(limits.maxQueuedBytes + STREAM_BYTES + 2);
    // Reading now: 'ok:a', every stream message in order, then 'ok:b'.
    const got: string[] = [];
    let buffer = Buffer.alloc(0);
    client.on('data', (d: Buffer) => {
      buffer = Buffer.concat([buffer, d]);
      while (buffer.length >= 2 && buffer.length >= 2 + buffer.readUInt16BE(0)) {
        const message = buffer.subarray(2, 2 + buffer.readUInt16BE(0));
        got.push(message.length === STREAM_BYTES ? `#${message.readUInt32BE(0)}` : message.toString());
        buffer = buffer.subarray(2 + message.length);
      }
    });
    client.resume();
    await waitFor('every reply', () => got.length === STREAM_MESSAGES + 2, { timeoutMs: 60_000 });
    expect(got[0]).toBe('ok:a');
    expect(got.slice(1, -1)).toEqual(Array.from({ length: STREAM_MESSAGES }, (_, i) => `#${i}`));
    expect(got.at(-1)).toBe('ok:b');
  });
});
