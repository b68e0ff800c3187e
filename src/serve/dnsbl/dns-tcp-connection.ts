import type { Socket } from 'node:net';

/**
 * One DNS-over-TCP client: messages framed by a two-byte length (RFC 1035 §4.2.2), any number
 * per connection and possibly pipelined (RFC 7766 §6.2.1), answered in order. The connection is
 * closed after `idleMs` without a complete message (RFC 7766 §6.2.3), and at once when a message
 * is not answerable (it did not parse), since the framing of what follows cannot be trusted.
 */
export class DnsTcpConnection {
  private pending: Buffer = Buffer.alloc(0);
  private closing = false;
  /** Restarted by each complete message only, so a client trickling bytes is closed too. */
  private readonly idle: NodeJS.Timeout;

  constructor(
    private readonly socket: Socket,
    private readonly answer: (message: Buffer) => Buffer | undefined,
    idleMs: number,
  ) {
    socket.setNoDelay(true);
    this.idle = setTimeout(() => socket.destroy(), idleMs);
    this.idle.unref();
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.once('close', () => clearTimeout(this.idle));
    // A reset by the client is its business; never let it become an uncaught error.
    socket.on('error', () => socket.destroy());
  }

  private receive(chunk: Buffer): void {
    if (this.closing) return;
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const replies: Buffer[] = [];
    let offset = 0;
    while (this.pending.length - offset >= 2) {
      const length = this.pending.readUInt16BE(offset);
      if (this.pending.length - offset - 2 < length) break;
      const response = length === 0 ? undefined : this.answer(this.pending.subarray(offset + 2, offset + 2 + length));
      offset += 2 + length;
      if (!response) {
        this.flush(replies);
        this.closing = true;
        this.pending = Buffer.alloc(0);
        this.socket.destroySoon();
        return;
      }
      this.idle.refresh();
      const frame = Buffer.allocUnsafe(2 + response.length);
      frame.writeUInt16BE(response.length, 0);
      response.copy(frame, 2);
      replies.push(frame);
    }
    // Copy the incomplete tail, so a large chunk is not kept alive by a few bytes of it.
    this.pending = offset === 0 ? this.pending : Buffer.from(this.pending.subarray(offset));
    this.flush(replies);
  }

  private flush(replies: Buffer[]): void {
    if (replies.length > 0 && !this.socket.destroyed) this.socket.write(replies.length === 1 ? replies[0]! : Buffer.concat(replies));
  }
}
