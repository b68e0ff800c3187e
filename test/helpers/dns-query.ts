import { createSocket } from 'node:dgram';
import { connect } from 'node:net';

/**
 * One DNS message to a server on 127.0.0.1, as bytes, with the raw reply and how long it took:
 * for tests that send what `dig` will not (malformed questions, pipelined floods) or time each
 * answer. `dig.ts` asks well-formed questions with the real client.
 */

/** A message with its two-byte length prefix, as DNS over TCP frames it (RFC 1035 §4.2.2). */
export function frame(message: Buffer): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(message.length);
  return Buffer.concat([length, message]);
}

/** One query over UDP from a fresh socket: the reply and the milliseconds it took. */
export async function udpQuery(port: number, message: Buffer, timeoutMs = 5_000): Promise<{ reply: Buffer; ms: number }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise((resolve, reject) => {
      const started = performance.now();
      timer = setTimeout(() => reject(new Error(`no UDP answer in ${timeoutMs} ms`)), timeoutMs);
      socket.once('message', (reply) => resolve({ reply, ms: performance.now() - started }));
      socket.send(message, port, '127.0.0.1');
    });
  } finally {
    clearTimeout(timer);
    socket.close();
  }
}

/** One framed query on a new TCP connection, closed after: the reply and the milliseconds it took (connecting included). */
export async function tcpQuery(port: number, message: Buffer, timeoutMs = 5_000): Promise<{ reply: Buffer; ms: number }> {
  const started = performance.now();
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined); // the promise below reports it as a close
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise((resolve, reject) => {
      let buffer = Buffer.alloc(0);
      timer = setTimeout(() => reject(new Error(`no TCP answer in ${timeoutMs} ms`)), timeoutMs);
      socket.on('data', (d: Buffer) => {
        buffer = Buffer.concat([buffer, d]);
        if (buffer.length >= 2 && buffer.length >= 2 + buffer.readUInt16BE(0)) {
          resolve({ reply: buffer.subarray(2, 2 + buffer.readUInt16BE(0)), ms: performance.now() - started });
        }
      });
      socket.once('close', () => reject(new Error('closed without an answer')));
      socket.write(frame(message));
    });
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}
