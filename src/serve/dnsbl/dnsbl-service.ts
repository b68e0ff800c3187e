import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type { NodeConfig } from '../../config/config.js';
import type { Store } from '../../store/open-store.js';
import { DnsblFollower } from './dnsbl-follower.js';
import type { DnsblZone } from './dnsbl-zone.js';
import { DnsblServer } from './dnsbl-server.js';

export interface DnsblServiceOptions {
  readonly config: NodeConfig['dnsbl'];
  readonly store: Store;
  readonly log: Logger;
  /** The node's URL (known only once its HTTP server listens, for port 0). */
  readonly publicUrl: () => string;
  readonly pollMs?: number;
}

/**
 * The DNSBL of PROTOCOL "Subscriber endpoints" (RFC 5782): an index of the effective list kept
 * in memory and current, served over UDP and TCP. Started by `SpamxNode.start()` when
 * `dnsbl.port` is set.
 */
export class DnsblService {
  private constructor(
    private readonly follower: DnsblFollower,
    private readonly server: DnsblServer,
  ) {}

  static async start(options: DnsblServiceOptions): Promise<DnsblService> {
    const follower = new DnsblFollower(options.store, options.log, options.pollMs);
    const started = performance.now();
    follower.start();
    options.log.info({ pieces: follower.index.size, serial: follower.serial, ms: Math.round(performance.now() - started) }, 'DNSBL index built');
    const zone: DnsblZone = {
      zone: options.config.zone.toLowerCase(),
      ttl: options.config.ttl,
      nameserver: nameserverOf(options.publicUrl()),
      get index() {
        return follower.index;
      },
      get serial() {
        return follower.serial;
      },
      get publicUrl() {
        return options.publicUrl();
      },
    };
    const server = new DnsblServer({ host: options.config.host, port: options.config.port ?? 0, zone: () => zone, log: options.log });
    try {
      await server.start();
    } catch (err) {
      await follower.stop();
      throw err;
    }
    return new DnsblService(follower, server);
  }

  /** The bound UDP and TCP port (the ephemeral one when configured as 0). */
  get port(): number {
    return this.server.port;
  }

  /** Listed pieces in the index. */
  get size(): number {
    return this.follower.index.size;
  }

  /** Follow the change log now (called right after the node projects). */
  refresh(): void {
    this.follower.refresh();
  }

  /** Resolves once every change committed before the call is served. */
  settled(): Promise<void> {
    return this.follower.settled();
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.follower.stop();
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
