import type { Socket } from 'node:net';

/**
 * A query answered by a stream of messages rather than one (a zone transfer, zone-transfer.ts):
 * while it runs, the connection reads no further query; `send` resolves once the client has
 * read enough for the next message to be written (back-pressure), and rejects if it went away.
 */
export interface DnsTcpStream {
  accepts(message: Buffer): boolean;
  start(message: Buffer, send: (message: Buffer) => Promise<void>): Promise<void>;
}

export interface DnsTcpLimits {
  /** Closed after this long without a query answered (RFC 7766 §6.2.3). */
  readonly idleMs: number;
  /** Closed this long after it opened, however busy it keeps (RFC 7766 §6.2.4). */
  readonly lifetimeMs: number;
  /**
   * Reading stops while this many reply bytes wait for the client to read them; the server's
   * sockets are made with this as their high-water mark, so `write()` says when it is reached.
   */
  readonly maxQueuedBytes: number;
}

/**
 * One DNS-over-TCP client: messages framed by a two-byte length (RFC 1035 §4.2.2), any number
 * per connection and possibly pipelined (RFC 7766 §6.2.1), answered in order. A client that sends
 * faster than it reads is not read from until it has read what waits for it ('drain'), so what is
 * queued for it stays below `maxQueuedBytes` and one reply, and the rest of its queries wait in
 * the kernel's buffers, whose window then closes. It is closed after `idleMs` without a query
 * answered (so a client trickling bytes, or not reading, is closed too), after `lifetimeMs` in
 * any case, and at once when a message is not answerable (it did not parse), since the framing of
 * what follows cannot be trusted.
 */
export class DnsTcpConnection {
  private pending: Buffer = Buffer.alloc(0);
  private closing = false;
  private waitingForDrain = false;
  /** A stream (zone transfer) is being written; `end()` waits for it. */
  private streaming = false;
  private endAfterStream = false;
  private readonly idle: NodeJS.Timeout;
  private readonly lifetime: NodeJS.Timeout;

  constructor(
    private readonly socket: Socket,
    private readonly answer: (message: Buffer) => Buffer | undefined,
    private readonly limits: DnsTcpLimits,
    /** Told when a query is answered: the server closes the connection idle the longest first. */
    private readonly onActive: () => void = () => undefined,
    /** Queries answered by a stream of messages (AXFR, IXFR), when the server serves any. */
    private readonly stream?: DnsTcpStream,
  ) {
    socket.setNoDelay(true);
    this.idle = setTimeout(() => socket.destroy(), limits.idleMs);
    this.idle.unref();
    this.lifetime = setTimeout(() => this.end(), limits.lifetimeMs);
    this.lifetime.unref();
    socket.on('data', (chunk: Buffer) => {
      this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
      this.work();
    });
    socket.on('drain', () => {
      if (!this.waitingForDrain) return;
      this.waitingForDrain = false;
      this.work();
    });
    socket.once('close', () => {
      clearTimeout(this.idle);
      clearTimeout(this.lifetime);
    });
    // A reset by the client is its business; never let it become an uncaught error.
    socket.on('error', () => socket.destroy());
  }

  /**
   * Stops reading and closes once the queued replies are written (RFC 7766 §6.2.4: a server may
   * close a connection, and the client retries what went unanswered); the idle timer, no longer
   * restarted, ends one whose client does not read them.
   */
  end(): void {
    if (this.streaming) {
      this.endAfterStream = true;
      return;
    }
    if (this.closing) return;
    this.closing = true;
    this.pending = Buffer.alloc(0);
    this.socket.pause();
    this.socket.end();
  }

  /** Answers the complete messages in `pending` until the client must read first. */
  private work(): void {
    if (this.closing || this.waitingForDrain || this.streaming) return;
    const replies: Buffer[] = [];
    let bytes = 0;
    let offset = 0;
    let full = false;
    while (this.pending.length - offset >= 2) {
      const length = this.pending.readUInt16BE(offset);
      if (this.pending.length - offset - 2 < length) break;
      if (this.stream && length > 0 && this.stream.accepts(this.pending.subarray(offset + 2, offset + 2 + length))) {
        const message = Buffer.from(this.pending.subarray(offset + 2, offset + 2 + length));
        offset += 2 + length;
        // The replies before it go first, in order (RFC 7766 §6.2.1.1 allows any order, but
        // secondaries read one transfer per connection and expect nothing interleaved).
        this.write(replies);
        this.pending = Buffer.from(this.pending.subarray(offset));
        this.startStream(message);
        return;
      }
      const response = length === 0 ? undefined : this.answer(this.pending.subarray(offset + 2, offset + 2 + length));
      offset += 2 + length;
      if (!response) {
        this.write(replies);
        this.closing = true;
        this.pending = Buffer.alloc(0);
        this.socket.destroySoon();
        return;
      }
      const frame = Buffer.allocUnsafe(2 + response.length);
      frame.writeUInt16BE(response.length, 0);
      response.copy(frame, 2);
      replies.push(frame);
      bytes += frame.length;
      // Written as soon as they would fill the queue, so it never holds more than one reply over.
      if (this.socket.writableLength + bytes >= this.limits.maxQueuedBytes) {
        full = !this.write(replies.splice(0));
        bytes = 0;
        if (full) break;
      }
    }
    // Copy the incomplete tail, so a large chunk is not kept alive by a few bytes of it.
    this.pending = offset === 0 ? this.pending : Buffer.from(this.pending.subarray(offset));
    if (offset > 0) {
      this.idle.refresh();
      this.onActive();
    }
    if (replies.length > 0) full = !this.write(replies);
    if (full) {
      this.waitingForDrain = true;
      this.socket.pause();
    } else if (this.socket.isPaused()) {
      this.socket.resume();
    }
  }

  /** Runs a stream to its end, reading no query meanwhile, then goes on with those waiting. */
  private startStream(message: Buffer): void {
    this.streaming = true;
    this.socket.pause();
    this.idle.refresh();
    this.onActive();
    void this.stream!.start(message, (reply) => this.send(reply)).finally(() => {
      this.streaming = false;
      if (this.endAfterStream) this.end();
      else if (!this.socket.destroyed) {
        this.idle.refresh();
        this.work();
      }
    });
  }

  /** One message of a stream, framed and written; resolves when the socket can take more. */
  private send(reply: Buffer): Promise<void> {
    if (this.socket.destroyed) return Promise.reject(new Error('the client closed the connection'));
    const frame = Buffer.allocUnsafe(2 + reply.length);
    frame.writeUInt16BE(reply.length, 0);
    reply.copy(frame, 2);
    const more = this.socket.write(frame);
    // A transfer that goes on writing is not idle; one whose client stops reading times out.
    this.idle.refresh();
    if (more) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const drained = () => {
        this.socket.off('close', closed);
        resolve();
      };
      const closed = () => {
        this.socket.off('drain', drained);
        reject(new Error('the client closed the connection'));
      };
      this.socket.once('drain', drained);
      this.socket.once('close', closed);
    });
  }

  /** False when the queue is full: wait for 'drain'. */
  private write(replies: Buffer[]): boolean {
    if (replies.length === 0 || this.socket.destroyed) return true;
    return this.socket.write(replies.length === 1 ? replies[0]! : Buffer.concat(replies));
  }
}
