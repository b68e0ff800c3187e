import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type { NodeConfig } from '../../config/config.js';
import type { ChangeFollower } from '../../read/change-follower.js';
import type { DnsblZone } from './dnsbl-zone.js';
import { DnsblServer } from './dnsbl-server.js';
import type { DnsQueryCounts } from './dns-query-counts.js';
import { tsigKeyOf } from '../../core/dns-tsig.js';
import type { Store } from '../../store/open-store.js';
import type { ZoneTransferCounts } from './zone-counts.js';
import { ZoneNotifier } from './zone-notify.js';
import { ZoneTransfers } from './zone-transfer.js';

export interface DnsblServiceOptions {
  readonly config: NodeConfig['dnsbl'];
  /** The read side's follower, its models built (with a DNSBL index). */
  readonly follower: ChangeFollower;
  readonly log: Logger;
  /** The node's URL (known only once its HTTP server listens, for port 0). */
  readonly publicUrl: () => string;
  /** Counts each query by its answer (the node's metrics). */
  readonly counts?: DnsQueryCounts;
  /** The store, for zone transfers (AXFR/IXFR read it) and the secondaries' state; none served without it. */
  readonly store?: Store;
  /** Zone transfer and NOTIFY counts (the node's metrics). */
  readonly zoneCounts?: ZoneTransferCounts;
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
    private readonly notifier?: ZoneNotifier,
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
    const store = options.store;
    const transfers =
      store &&
      new ZoneTransfers({
        store,
        zone: () => zone,
        allow: config.transfer.allow,
        key: config.transfer.tsig && tsigKeyOf(config.transfer.tsig),
        secondaries: config.notify,
        log: options.log,
        ...(options.zoneCounts ? { counts: options.zoneCounts } : {}),
      });
    const server = new DnsblServer({
      host: config.host,
      port: config.port ?? 0,
      zone: () => zone,
      log: options.log,
      tcp: { idleMs: config.tcpIdleTimeoutMs, lifetimeMs: config.tcpMaxLifetimeMs, maxQueuedBytes: config.tcpMaxQueuedBytes },
      maxTcpConnections: config.tcpMaxConnections,
      ...(options.counts ? { counts: options.counts } : {}),
      ...(transfers ? { transfers } : {}),
    });
    // RFC 1996: the secondaries hear of each change by NOTIFY, sent from the DNSBL's address.
    // Made before the server starts: a bad target fails the start with nothing left open.
    const notifier =
      store && config.notify.length > 0
        ? new ZoneNotifier({ targets: config.notify, host: config.host, zone: () => zone, store, log: options.log, ...(options.zoneCounts ? { counts: options.zoneCounts } : {}) })
        : undefined;
    await server.start();
    notifier?.start();
    return new DnsblService(follower, server, notifier);
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
    await this.notifier?.stop();
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
