import { randomInt } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { isIP } from 'node:net';
import dnsPacket from 'dns-packet';
import type { Logger } from 'pino';
import { serialOf } from '../../core/dns-serial.js';
import { describeError, SpamxError } from '../../core/errors.js';
import type { Store } from '../../store/open-store.js';
import { recordNotifyAck, recordNotifyError } from '../../store/zone-secondary-store.js';
import { soaRecord, type DnsblZone } from './dnsbl-zone.js';
import type { ZoneTransferCounts } from './zone-counts.js';

/** RFC 1996 §3.1: opcode NOTIFY (4), written into the header flags as dns-packet takes them. */
const OPCODE_NOTIFY = 4 << 11;
const OPCODE_BITS = 0x7800;

export interface ZoneNotifierOptions {
  /** `dnsbl.notify`: "host:port" of each secondary. */
  readonly targets: readonly string[];
  /** The address NOTIFY is sent from: the DNSBL's own, which secondaries know as their primary. */
  readonly host: string;
  readonly zone: () => DnsblZone;
  readonly store: Store;
  readonly log: Logger;
  readonly counts?: ZoneTransferCounts;
  /** At most one NOTIFY round per this long under a stream of changes. */
  readonly minIntervalMs?: number;
  /** First retry of an unanswered NOTIFY; doubled up to `maxRetryMs` (RFC 1996 §3.6). */
  readonly retryMs?: number;
  readonly maxRetryMs?: number;
  readonly now?: () => number;
}

interface Target {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** The serial last announced and not yet acknowledged. */
  pending: number | undefined;
  id: number;
  retryMs: number;
  nextAt: number;
  acked: number | undefined;
}

/**
 * Tells each configured secondary that the zone changed (RFC 1996 NOTIFY over UDP), so that it
 * asks for an IXFR at once instead of at its SOA refresh. The zone's serial is watched on a
 * short timer; a change sends a round, at most one per `minIntervalMs` (a stream of changes
 * makes one NOTIFY every few seconds, each with the newest serial). An unanswered NOTIFY is sent
 * again, the interval doubling up to `maxRetryMs`, until the secondary answers (§3.6) or a
 * newer serial replaces it.
 */
export class ZoneNotifier {
  private readonly targets: Target[];
  private readonly sockets = new Map<4 | 6, UdpSocket>();
  private timer: NodeJS.Timeout | undefined;
  private lastRound = -Infinity;
  private announced: number | undefined;

  constructor(private readonly options: ZoneNotifierOptions) {
    this.targets = options.targets.map((text) => {
      const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(text);
      if (!m || isIP(m[1]!) === 0) throw new SpamxError('CONFIG_INVALID', `dnsbl.notify: "${text}" must be "address:port" (an IP address: NOTIFY goes to the secondary's own address), like 127.0.0.1:53`);
      return { name: text, address: m[1]!, port: Number(m[2]), pending: undefined, id: 0, retryMs: 0, nextAt: 0, acked: undefined };
    });
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  start(): void {
    if (this.targets.length === 0) return;
    this.timer = setInterval(() => this.tick(), 250);
    this.timer.unref();
    this.tick();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.sockets.values()].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.sockets.clear();
  }

  private tick(): void {
    const now = this.now();
    const serial = serialOf(this.options.zone().serial);
    if (serial !== this.announced && now - this.lastRound >= (this.options.minIntervalMs ?? 3_000)) {
      this.announced = serial;
      this.lastRound = now;
      for (const target of this.targets) {
        if (target.acked === serial) continue;
        target.pending = serial;
        target.retryMs = this.options.retryMs ?? 2_000;
        this.send(target, now, false);
      }
    }
    for (const target of this.targets) if (target.pending !== undefined && now >= target.nextAt) this.send(target, now, true);
  }

  private send(target: Target, now: number, retry: boolean): void {
    target.id = randomInt(0, 65_536);
    // A retry: the last one went unanswered.
    if (retry) recordNotifyError(this.options.store, target.name, `NOTIFY for serial ${target.pending} unanswered; retrying`, now);
    target.nextAt = now + target.retryMs;
    target.retryMs = Math.min(target.retryMs * 2, this.options.maxRetryMs ?? 60_000);
    const zone = this.options.zone();
    const message = dnsPacket.encode({
      type: 'query',
      id: target.id,
      flags: OPCODE_NOTIFY | dnsPacket.AUTHORITATIVE_ANSWER,
      questions: [{ type: 'SOA', name: zone.zone, class: 'IN' }],
      // RFC 1996 §3.7: the new SOA may ride along in the answer section, as a hint.
      answers: [soaRecord({ ...zone, zone: zone.zone, serial: target.pending ?? zone.serial } as DnsblZone)],
    });
    this.options.counts && this.options.counts.notifySent++;
    this.socketFor(isIP(target.address) === 6 ? 6 : 4).send(message, target.port, target.address);
  }

  private socketFor(family: 4 | 6): UdpSocket {
    let socket = this.sockets.get(family);
    if (socket) return socket;
    socket = createSocket(family === 6 ? 'udp6' : 'udp4');
    const hostFamily = isIP(this.options.host);
    // From the DNSBL's address when it is of this family: secondaries accept NOTIFY from their primary.
    if (hostFamily === family) socket.bind(0, this.options.host);
    socket.on('message', (reply, peer) => this.answered(reply, peer.address, peer.port));
    socket.on('error', (err) => this.options.log.warn({ err: describeError(err) }, 'NOTIFY socket error'));
    this.sockets.set(family, socket);
    return socket;
  }

  private answered(reply: Buffer, address: string, port: number): void {
    if (reply.length < 12) return;
    const id = reply.readUInt16BE(0);
    const flags = reply.readUInt16BE(2);
    const target = this.targets.find((t) => t.address === address && t.port === port && t.id === id && t.pending !== undefined);
    if (!target || (flags & 0x8000) === 0 || (flags & OPCODE_BITS) !== OPCODE_NOTIFY) return;
    const serial = target.pending!;
    target.pending = undefined;
    target.nextAt = 0;
    const now = this.now();
    const rcode = flags & 0x0f;
    if (this.options.counts) this.options.counts.notifyAcked++;
    if (rcode !== 0) {
      recordNotifyError(this.options.store, target.name, `NOTIFY for serial ${serial} answered with rcode ${rcode}`, now);
      return;
    }
    target.acked = serial;
    recordNotifyAck(this.options.store, target.name, serial, now);
  }
}
