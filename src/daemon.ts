import type { ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { loadOperatorToken } from './config/identity.js';
import { buildEvidence } from './audit/build-evidence.js';
import { describeError } from './core/errors.js';
import type { RemovalDecision } from './core/removal-request.js';
import { decideRemovalRequest } from './ingest/removal-decisions.js';
import { statedEncKey } from './ingest/seal-keys.js';
import { encJwk } from './core/key-statement.js';
import { createContext, type NodeContext, type NodeOptions } from './node-context.js';
import { createApp } from './serve/app.js';
import { BlocklistThreads } from './serve/blocklist-threads.js';
import type { Descriptor } from './serve/deps.js';
import { DnsblService } from './serve/dnsbl/dnsbl-service.js';
import { listen } from './serve/listen.js';
import { observeRequests } from './serve/access-log.js';
import { onThreads } from './serve/mail/daily-report.js';
import { MailReports } from './serve/mail/mail-reports.js';
import { datasetOf } from './read/origin-dataset.js';
import { federationStatus } from './store/partner-access-store.js';
import { statusReport } from './store/status-report.js';
import { mirrorPolls } from './store/mirror-poll-store.js';
import type { QueueLabel } from './store/queue-store.js';
import type { LookupView } from './read/lookup-answer.js';

export type { NodeContext, NodeOptions } from './node-context.js';

/**
 * One spamx node: `create` builds its parts around one context; `start` serves the HTTP API and
 * DNSBL, builds the read models and runs the schedules; `destroy` stops them in reverse. The CLI
 * uses a node that is never started for one-shot commands. This file only wires: each part
 * lives in its layer (src/README.md), and none of them receives the node.
 */
export class SpamxNode {
  private server: ServerType | undefined;
  private dnsbl: DnsblService | undefined;
  private listeningUrl: string | undefined;
  private exportThreads: BlocklistThreads | undefined;
  private mail: MailReports | undefined;

  private constructor(
    readonly ctx: NodeContext,
    private readonly reloadIntervalMs: number,
  ) {}

  static async create(options: NodeOptions): Promise<SpamxNode> {
    let node: SpamxNode | undefined;
    const ctx = await createContext(options, { url: () => node!.url, peersChanged: () => node?.schedule() });
    return (node = new SpamxNode(ctx, options.reloadIntervalMs ?? 2000));
  }

  async start(): Promise<void> {
    const { config, store, clock, log, files, projection, pulls, follower, lookups, origins, metrics } = this.ctx;
    // The operator routes' actions are the parts' own operations (the arrow members below).
    const { reportText, reportObjects, delist, publish, pull, lookup } = this;
    const actions = { reportText, reportObjects, delist, publish, pull, lookup, status: () => this.status(), lookupJson: (ip: string, view: LookupView) => lookups.lookupJson(ip, view), decideRemovalRequest: this.decideRemovalRequest };
    const app = createApp(
      {
        config, store, clock, actions,
        policy: files.policy,
        descriptor: () => this.descriptor(),
        operatorToken: loadOperatorToken(config.paths),
        project: () => projection.now(),
        publicUrl: () => this.url,
        ready: () => follower.models !== undefined,
        exportThreads: (this.exportThreads = new BlocklistThreads(store.db.name, config.subscribers.exportThreads)),
        origins: () => origins.current(),
        metrics,
        peers: files.peers,
        evidence: (ip: string) => buildEvidence(this, ip),
      },
      log,
    );
    // The access log and HTTP metrics, once around the whole app (serve/access-log.ts).
    this.server = await listen(observeRequests(app, { http: metrics.http, log: config.serve.accessLog ? log : undefined }), config);
    metrics.start();
    const { port } = this.server.address() as AddressInfo;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    this.listeningUrl = `${config.tls ? 'https' : 'http'}://${host}:${port}`;
    try {
      await follower.start();
      // A DNSBL that cannot bind (port taken) fails the start: nothing may keep the process up.
      if (config.dnsbl.port !== null) this.dnsbl = await DnsblService.start({ config: config.dnsbl, follower, log, publicUrl: () => this.url, counts: metrics.dns, store, zoneCounts: metrics.zone });
    } catch (err) {
      await this.destroy();
      throw err;
    }
    this.schedule();
    // Scoped subscribers' daily reports, rendered on the export threads (off the DNS thread).
    this.mail = new MailReports({
      config, store, log, clock,
      origins: () => origins.current(),
      publicUrl: () => this.url,
      project: () => projection.now(),
      render: onThreads(this.exportThreads),
    });
    this.mail.start();
    await pulls.warm();
    origins.watch(this.reloadIntervalMs, {
      reloaded: (datasets) => log.info({ origins: datasets.map((d) => `${d.name} ${d.date}`) }, 'origin data reloaded'),
      refused: (error) => log.error({ error }, 'origin data not reloaded; the data in use stays'),
    });
    files.watch(this.reloadIntervalMs, () => {
      void this.ctx.identity.refresh().catch((err: unknown) => log.error({ err: describeError(err) }, 'signing key not reloaded'));
      projection.soon();
    });
    log.info({ url: this.url, peers: files.peers().size, ...(this.dnsbl ? { dnsblPort: this.dnsbl.port } : {}) }, 'spamx node serving');
  }

  async destroy(): Promise<void> {
    const { files, pulls, follower, store, origins } = this.ctx;
    files.stop();
    origins.stop();
    await this.mail?.stop();
    await pulls.stop();
    await this.dnsbl?.stop();
    await follower.stop();
    if (this.server) {
      const server = this.server;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    }
    await this.exportThreads?.close();
    await pulls.close();
    // The subscriber usage counted since the last flush, written while the store is open.
    this.ctx.metrics.stop();
    store.close();
  }

  /** The URL this node is reachable at (the configured public URL, or where it listens). */
  get url(): string {
    const { publicUrl } = this.ctx.config;
    return publicUrl !== undefined && !publicUrl.endsWith(':0') ? publicUrl : (this.listeningUrl ?? publicUrl);
  }

  /** The DNSBL's bound UDP and TCP port once started (the ephemeral one for `dnsbl.port: 0`). */
  get dnsblPort(): number | undefined {
    return this.dnsbl?.port;
  }

  descriptor(): Descriptor {
    const { config, identity } = this.ctx;
    const { publicJwk, kid } = identity.current;
    // The X25519 `use: enc` key for sealed batches, as this node's key statements name it.
    const enc = statedEncKey(this.ctx.store, config.id);
    const keys = [{ ...publicJwk, kid, alg: 'EdDSA', use: 'sig' }, ...(enc ? [encJwk(enc)] : [])];
    return { id: config.id, name: config.name, country: config.country, protocol: 1, keys: { keys }, checkpointKey: identity.checkpointKey };
  }

  status() {
    const { store, config, identity, clock } = this.ctx;
    const { witnessQuorum: quorum, maxWitnessAgeMinutes } = config.transparency;
    const self = { id: config.id, kid: identity.current.kid, publicUrl: this.url, checkpointKey: identity.checkpointKey };
    const report = statusReport(store, self, this.peers, clock(), { quorum, maxAgeMs: maxWitnessAgeMinutes * 60_000 });
    // What this process counted of partners' requests, written first so the report is current.
    this.ctx.metrics.partnerAccess.flush();
    return {
      ...report,
      // The origin data in use (PROTOCOL "Additions: origins"): partners compare these to route alike.
      origins: this.ctx.origins.current().datasets.map(({ name, date, sha256 }) => ({ name, date, sha256 })),
      federation: federationStatus(store, config.id, config.federation.access),
      // Each subscriber key's last poll by `spamx mirror`, written first so the report is current.
      mirrors: (this.ctx.metrics.usage.flushMirrorPolls(), mirrorPolls(store)),
    };
  }

  /** Re-reads the peers directory and the allowlist (at start, on SIGHUP, and on edits). */
  reload = (): Promise<void> => this.ctx.files.reload();

  private schedule(): void {
    if (this.server) this.ctx.pulls.schedule(() => this.ctx.reports.publish());
  }

  // The parts' operations, for the CLI and tests: each is the part's own method.
  get config() { return this.ctx.config; }
  get store() { return this.ctx.store; }
  get log() { return this.ctx.log; }
  get clock() { return this.ctx.clock; }
  get identity() { return this.ctx.identity.current; }
  get checkpointKey() { return this.ctx.identity.checkpointKey; }
  get peers() { return [...this.ctx.files.peers().values()]; }
  policy = () => this.ctx.files.policy();
  reportText = (text: string, label?: QueueLabel) => this.ctx.reports.reportText(text, label);
  reportObjects = (objects: readonly unknown[], label?: QueueLabel) => this.ctx.reports.reportObjects(objects, label);
  delist = (prefixes: readonly string[], reason: string | null) => this.ctx.reports.delist(prefixes, reason);
  publish = () => this.ctx.reports.publish();
  pull = (peerId: string) => this.ctx.pulls.pull(peerId);
  pullAll = () => this.ctx.pulls.pullAll();
  project = () => this.ctx.projection.now();
  lookup = (ip: string, view?: LookupView) => this.ctx.lookups.lookup(ip, view);
  decideRemovalRequest = (id: string, decision: RemovalDecision, note: string | null) =>
    decideRemovalRequest({ store: this.store, clock: this.clock, ownId: this.config.id, delist: this.delist, lookup: this.lookup }, id, decision, note);
  originDataset = () => datasetOf(this.ctx.origins.current());
}
