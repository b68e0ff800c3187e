import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type { NodeConfig } from '../../config/config.js';
import type { ChangeFollower } from '../../read/change-follower.js';
import type { DnsblZone } from './dnsbl-zone.js';
import { DnsblServer } from './dnsbl-server.js';
import type { DnsQueryCounts } from './dns-query-counts.js';

export interface DnsblServiceOptions {
  readonly config: NodeConfig['dnsbl'];
  /** The read side's follower, its models built (with a DNSBL index). */
  readonly follower: ChangeFollower;
  readonly log: Logger;
  /** The node's URL (known only once its HTTP server listens, for port 0). */
  readonly publicUrl: () => string;
  /** Counts each query by its answer (the node's metrics). */
  readonly counts?: DnsQueryCounts;
}

/**
 * The DNSBL of PROTOCOL "Subscriber endpoints" (RFC 5782): the read side's index of the
 * effective list (read/change-follower.ts keeps it in memory and current), served over UDP and
 * TCP. Started by the node once its read models are built, when `dnsbl.port` is set.
 */
export class DnsblService {
  private constructor(
    private readonly follower: ChangeFollower,
    private readonly server: DnsblServer,
  ) {}

  static async start(options: DnsblServiceOptions): Promise<DnsblService> {
    const { follower } = options;
    const index = () => {
      const built = follower.models?.dnsbl;
      if (!built) throw new Error('the DNSBL started before its index was built');
      return built;
    };
    index();
    const zone: DnsblZone = {
      zone: options.config.zone.toLowerCase(),
      ttl: options.config.ttl,
      nameserver: nameserverOf(options.publicUrl()),
      get index() {
        return index();
      },
      get serial() {
        return follower.serial;
      },
      get publicUrl() {
        return options.publicUrl();
      },
    };
    const { config } = options;
    const server = new DnsblServer({
      host: config.host,
      port: config.port ?? 0,
      zone: () => zone,
      log: options.log,
      tcp: { idleMs: config.tcpIdleTimeoutMs, lifetimeMs: config.tcpMaxLifetimeMs, maxQueuedBytes: config.tcpMaxQueuedBytes },
      maxTcpConnections: config.tcpMaxConnections,
      ...(options.counts ? { counts: options.counts } : {}),
    });
    await server.start();
    return new DnsblService(follower, server);
  }

  /** The bound UDP and TCP port (the ephemeral one when configured as 0). */
  get port(): number {
    return this.server.port;
  }

  /** Listed pieces in the index. */
  get size(): number {
    return this.follower.models?.dnsbl?.size ?? 0;
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }
}

/**
 * The zone's NS and SOA MNAME: the host of the node's public URL, where the DNSBL runs beside
 * the API. An address literal names no host, so a node on one (tests, a lab) says `localhost`.
 */
function nameserverOf(url: string): string {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  return isIP(host) === 0 ? host.toLowerCase() : 'localhost';
}
