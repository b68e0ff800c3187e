import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { describeError } from '../../core/errors.js';
import type { DnsblZone } from './dnsbl-zone.js';
import { answerQuery } from './dnsbl-query.js';
import { DnsTcpConnection, type DnsTcpLimits } from './dns-tcp-connection.js';
import type { DnsQueryCounts } from './dns-query-counts.js';

export interface DnsblServerOptions {
  readonly host: string;
  /** 0 binds an ephemeral port (the same one for UDP and TCP). */
  readonly port: number;
  readonly zone: () => DnsblZone;
  readonly log: Logger;
  /** Limits of each TCP connection (dns-tcp-connection.ts), from config.ts's `dnsbl.tcp*`. */
  readonly tcp: DnsTcpLimits;
  /** At this many TCP connections, a new one closes the one idle the longest. */
  readonly maxTcpConnections: number;
  /** Counts each query by its answer (the node's metrics). */
  readonly counts?: DnsQueryCounts;
  /** Zone transfers (AXFR, IXFR) over TCP, streamed (zone-transfer.ts), when served. */
  readonly transfers?: {
    accepts(message: Buffer): boolean;
    start(message: Buffer, client: string, send: (message: Buffer) => Promise<void>): Promise<void>;
  };
}

/**
 * The DNSBL's sockets: UDP and TCP on one port (RFC 1035 §4.2; TCP is required for answers that
 * do not fit in UDP, RFC 7766 §5). Each query is answered synchronously from memory. Nothing a
 * client sends can stop the server: a message that does not parse is dropped, a failing answer
 * is logged and dropped, and a TCP stream that breaks the framing is closed.
 */
export class DnsblServer {
  private udp: UdpSocket | undefined;
  private tcp: Server | undefined;
  /** Open TCP connections, the one answered the longest ago first. */
  private readonly connections = new Set<Socket>();
  private boundPort = 0;

  constructor(private readonly options: DnsblServerOptions) {}

  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    // With port 0, the kernel picks a UDP port that TCP may find taken: try a few.
    for (let attempt = 0; ; attempt++) {
      const udp = await this.bindUdp(this.options.port);
      const port = udp.address().port;
      try {
        this.tcp = await this.listenTcp(port);
        this.udp = udp;
        this.boundPort = port;
        return;
      } catch (err) {
        udp.close();
        if (this.options.port !== 0 || attempt >= 10 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      }
    }
  }

  async stop(): Promise<void> {
    for (const socket of this.connections) socket.destroy();
    const closing: Promise<unknown>[] = [];
    if (this.tcp) closing.push(new Promise<void>((resolve) => this.tcp!.close(() => resolve())));
    if (this.udp) closing.push(new Promise<void>((resolve) => this.udp!.close(() => resolve())));
    this.tcp = undefined;
    this.udp = undefined;
    await Promise.all(closing);
  }

  private answer(message: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined {
    let response: Buffer | undefined;
    try {
      response = answerQuery(message, this.options.zone(), transport);
    } catch (err) {
      this.options.log.warn({ err: describeError(err) }, 'DNSBL query dropped');
    }
    this.options.counts?.count(response, transport);
    return response;
  }

  private async bindUdp(port: number): Promise<UdpSocket> {
    const udp = createSocket({ type: this.options.host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
    udp.on('message', (message, peer) => {
      const response = this.answer(message, 'udp');
      if (response) udp.send(response, peer.port, peer.address);
    });
    try {
      await Promise.race([new Promise<void>((resolve) => udp.bind(port, this.options.host, resolve)), once(udp, 'error').then(([err]) => Promise.reject(err as Error))]);
    } catch (err) {
      udp.close();
      throw err;
    }
    // A send that fails (the client's port closed) must not take the socket down.
    udp.on('error', (err) => this.options.log.warn({ err: describeError(err) }, 'DNSBL UDP error'));
    return udp;
  }

  private async listenTcp(port: number): Promise<Server> {
    const limits = this.options.tcp;
    const max = this.options.maxTcpConnections;
    const server = createServer({ highWaterMark: limits.maxQueuedBytes }, (socket) => {
      // RFC 7766 §6.2.3: under load a server may give idle connections no time at all. So at the
      // cap, the connection answered the longest ago (or never) makes room: a stranger's idle
      // connections cannot keep a resolver out until their idle timeouts end.
      for (const oldest of this.connections) {
        if (this.connections.size < max) break;
        this.connections.delete(oldest);
        oldest.destroy();
      }
      this.connections.add(socket);
      const transfers = this.options.transfers;
      const stream = transfers && { accepts: (m: Buffer) => transfers.accepts(m), start: (m: Buffer, send: (r: Buffer) => Promise<void>) => transfers.start(m, socket.remoteAddress ?? '', send) };
      new DnsTcpConnection(
        socket,
        (message) => this.answer(message, 'tcp'),
        limits,
        () => {
          // Moved to the back: the most recently answered.
          if (this.connections.delete(socket)) this.connections.add(socket);
        },
        stream,
      );
      socket.once('close', () => this.connections.delete(socket));
    });
    server.on('error', (err) => this.options.log.warn({ err: describeError(err) }, 'DNSBL TCP error'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return server;
  }
}
