import { serve, type ServerType } from '@hono/node-server';
import { readFileSync, statSync, readdirSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import { loadAllowlist } from './config/allowlist.js';
import { loadConfig, type ConfigFile, type NodeConfig } from './config/config.js';
import { readEnv } from './config/env.js';
import { loadOperatorToken, type Identity } from './config/identity.js';
import { loadPeers, type Peer } from './config/peers.js';
import { describeError, isSpamxError } from './core/errors.js';
import type { Policy } from './core/policy.js';
import { parseDelists, parseReport, parseReportObjects, type ParsedReport } from './core/report.js';
import { ReaderThread } from './ingest/reader-thread.js';
import { PeerHttpClient } from './ingest/http-client.js';
import { collectOwnCosignature, witnessFeed } from './ingest/witness-feed.js';
import { witnessState } from './store/witness-store.js';
import { feedHead } from './store/feed-store.js';
import { formatTimestamp } from './core/time.js';
import { signOwnCheckpoint } from './ingest/own-checkpoint.js';
import { backfillTrees } from './store/tree-store.js';
import { formatVerifierKey, parseVerifierKey } from './core/signed-note.js';
import { publishQueued, type PublishedBatch } from './ingest/publish-batches.js';
import { loadOwnIdentity } from './ingest/own-key-set.js';
import { currentKid } from './store/key-statement-store.js';
import { pullPeer, type PullReport } from './ingest/pull-peer.js';
import { Scheduler } from './ingest/scheduler.js';
import { createApp } from './serve/app.js';
import { DnsblService } from './serve/dnsbl/dnsbl-service.js';
import type { Descriptor, OperatorActions } from './serve/deps.js';
import { NODE_AUTOCHECKPOINT_PAGES, openStore, writeTransaction, type Store } from './store/open-store.js';
import { peerState } from './store/peer-state-store.js';
import { enqueueReports } from './store/queue-store.js';
import { recordRefusals } from './store/refusal-store.js';
import { statusReport, type StatusReport } from './store/status-report.js';
import { lastPendingId, projectExpired, projectPending, prunePendingKeys, queueOverlapping } from './store/projector.js';
import { pruneChanges } from './store/effective-query.js';
import { DAY_MS } from './core/time.js';
import { lookupAddress, sqlLookupSource, type LookupResult } from './store/lookup.js';
import { LookupFollower } from './store/lookup-follower.js';
import { LookupCache } from './serve/lookup-cache.js';
import { lookupAnswerJson } from './serve/lookup-json.js';

/**
 * The most a small request to a peer may answer: a chain of key statements, a checkpoint or a
 * cosignature is a few hundred kilobytes at most.
 */
const CONTROL_BODY_BYTES = 4 * 1024 * 1024;

export interface NodeOptions {
  readonly dataDir: string;
  /** Config members that override `config.json` (tests, `serve --port`). */
  readonly overrides?: Partial<ConfigFile>;
  readonly clock?: () => number;
  readonly logger?: Logger;
  /** How often the peers directory and allowlist are checked for edits. */
  readonly reloadIntervalMs?: number;
}

/**
 * One spamx node: its store, identity, peers and policy (`create`), and, once started, its HTTP
 * API and its publish and pull schedules (`start`), until `destroy`. The CLI uses a node that is
 * never started for one-shot commands; `spamx serve` starts one.
 */
export class SpamxNode implements OperatorActions {
  private server: ServerType | undefined;
  private dnsbl: DnsblService | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;
  private reloadSignature = '';
  private projectScheduled = false;
  private readonly lookupCache = new LookupCache();
  /** Serving nodes answer lookups from memory; one-shot CLI lookups read SQLite. */
  private lookupFollower: LookupFollower | undefined;
  private allowlistStamp = 0;
  private projectedStamp = '';
  private stampCheckedAt = -Infinity;
  private pullsInFlight = 0;
  private lastProjection = 0;
  private localChange = true;
  private nextExpiryDue = -Infinity;
  private lastPrune = 0;
  private peerMap = new Map<string, Peer>();
  private currentPolicy: Policy;
  private listeningUrl: string | undefined;
  private readonly scheduler: Scheduler;
  private readonly reader: ReaderThread;
  /**
   * Small requests to peers (key statements, checkpoints, cosignatures), over connections kept
   * for the node's life: a pull every few minutes then costs no new connection (and, behind
   * TLS, no new handshake) for its key statements.
   */
  private readonly controlHttp: PeerHttpClient;
  private readonly shutdown = new AbortController();

  private constructor(
    readonly config: NodeConfig,
    readonly store: Store,
    public identity: Identity,
    readonly log: Logger,
    readonly clock: () => number,
    private readonly reloadIntervalMs: number,
  ) {
    this.reader = new ReaderThread(config.pull);
    this.controlHttp = new PeerHttpClient({ ...config.pull, maxBodyBytes: CONTROL_BODY_BYTES });
    this.currentPolicy = this.loadPolicy();
    this.lastProjection = clock();
    this.scheduler = new Scheduler(log);
  }

  static async create(options: NodeOptions): Promise<SpamxNode> {
    const config = loadConfig(options.dataDir, options.overrides);
    const log = options.logger ?? pino({ level: readEnv().logLevel ?? config.logLevel, base: { node: config.id } });
    const store = openStore(config.paths.database);
    store.db.pragma(`wal_autocheckpoint = ${NODE_AUTOCHECKPOINT_PAGES}`);
    const identity = await loadOwnIdentity(config.paths, store, config.id);
    const node = new SpamxNode(config, store, identity, log, options.clock ?? Date.now, options.reloadIntervalMs ?? 2000);
    await node.reload();
    backfillTrees(store);
    signOwnCheckpoint(store, { id: config.id, origin: config.origin, key: identity.signingKey }, node.clock());
    return node;
  }

  /** The URL this node is reachable at (the configured public URL, or where it listens). */
  get url(): string {
    return this.config.publicUrl !== undefined && !this.config.publicUrl.endsWith(':0') ? this.config.publicUrl : (this.listeningUrl ?? this.config.publicUrl);
  }

  /** The DNSBL's bound UDP and TCP port once started (the ephemeral one for `dnsbl.port: 0`). */
  get dnsblPort(): number | undefined {
    return this.dnsbl?.port;
  }

  get peers(): readonly Peer[] {
    return [...this.peerMap.values()];
  }

  policy = (): Policy => this.currentPolicy;

  /** C2SP verifier key of this node's checkpoints (PROTOCOL "Transparency"). */
  get checkpointKey(): string {
    return formatVerifierKey(this.config.origin, Buffer.from(this.identity.publicJwk.x, 'base64url'));
  }

  async start(): Promise<void> {
    const app = createApp(
      {
        config: this.config,
        store: this.store,
        clock: this.clock,
        policy: this.policy,
        descriptor: () => this.descriptor(),
        operatorToken: loadOperatorToken(this.config.paths),
        actions: this,
        project: () => this.project(),
        publicUrl: () => this.url,
      },
      this.log,
    );
    const tls = this.config.tls;
    this.server = await new Promise<ServerType>((resolve, reject) => {
      const server = serve(
        {
          fetch: app.fetch,
          port: this.config.port,
          hostname: this.config.host,
          ...(tls
            ? { createServer: createHttpsServer, serverOptions: { cert: readFileSync(tls.cert), key: readFileSync(tls.key) } }
            : {}),
        },
        () => resolve(server),
      );
      server.once('error', reject);
    });
    this.lookupFollower = new LookupFollower(this.store);
    const { port } = this.server.address() as AddressInfo;
    const host = this.config.host.includes(':') ? `[${this.config.host}]` : this.config.host;
    this.listeningUrl = `${tls ? 'https' : 'http'}://${host}:${port}`;
    if (this.config.dnsbl.port !== null) {
      // A DNSBL that cannot bind (port taken) fails the start: nothing may keep the process up.
      this.dnsbl = await DnsblService.start({ config: this.config.dnsbl, store: this.store, log: this.log, publicUrl: () => this.url }).catch(
        async (err: unknown) => {
          await this.destroy();
          throw err;
        },
      );
    }
    this.schedule();
    if (this.peerMap.size > 0) await this.reader.warm();
    this.reloadTimer = setInterval(() => {
      void this.reloadIfChanged();
      void this.refreshIdentity().catch((err: unknown) => this.log.error({ err: describeError(err) }, 'signing key not reloaded'));
      this.projectSoon();
    }, this.reloadIntervalMs);
    this.log.info({ url: this.url, peers: this.peerMap.size, ...(this.dnsbl ? { dnsblPort: this.dnsbl.port } : {}) }, 'spamx node serving');
  }

  async destroy(): Promise<void> {
    clearInterval(this.reloadTimer);
    this.shutdown.abort();
    await this.scheduler.stop();
    await this.dnsbl?.stop();
    if (this.server) {
      const server = this.server;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    }
    await this.reader.close();
    await this.controlHttp.close();
    this.store.close();
  }

  descriptor(): Descriptor {
    return {
      id: this.config.id,
      name: this.config.name,
      country: this.config.country,
      protocol: 1,
      keys: { keys: [{ ...this.identity.publicJwk, kid: this.identity.kid, alg: 'EdDSA', use: 'sig' }] },
      checkpointKey: this.checkpointKey,
    };
  }

  // --- operator actions -------------------------------------------------------------------

  reportText(text: string): ParsedReport {
    return this.enqueue(parseReport(text, this.clock(), this.currentPolicy));
  }

  reportObjects(objects: readonly unknown[]): ParsedReport {
    return this.enqueue(parseReportObjects(objects, this.clock(), this.currentPolicy));
  }

  delist(prefixes: readonly string[], reason: string | null): ParsedReport {
    return this.enqueue(parseDelists(prefixes, reason, this.clock()));
  }

  async publish(): Promise<PublishedBatch[]> {
    await this.refreshIdentity();
    const batches = await publishQueued({ ...this.ingestDeps(), identity: this.identity }).catch(async (err: unknown) => {
      if (!isSpamxError(err, 'JWS_KEY_NOT_IN_FORCE')) throw err;
      await this.refreshIdentity(); // `spamx key rotate` committed while this batch was signed
      return publishQueued({ ...this.ingestDeps(), identity: this.identity });
    });
    for (const b of batches) this.log.info({ seq: b.seq, entries: b.entries }, 'published batch');
    if (batches.length > 0) {
      this.reader.checkpoint(this.store.db.name);
      this.projectSoon();
    }
    return batches;
  }

  async pull(peerId: string): Promise<PullReport | undefined> {
    const peer = this.peerMap.get(peerId);
    if (!peer) return undefined;
    const frozen = witnessState(this.store, peer.id);
    if (frozen?.frozenAt) {
      const message = `feed of ${peer.id} is frozen since ${formatTimestamp(frozen.frozenAt)}: ${frozen.frozenReason}`;
      const size = feedHead(this.store, peer.id).size;
      return { peer: peer.id, ok: false, source: null, fromSeq: size, toSeq: size, batches: 0, listed: 0, delisted: 0, refused: 0, durationMs: 0, failedSources: [], error: { code: 'FEED_FROZEN', message, seq: null } };
    }
    // Projection waits until the whole pull, witness checks included, is over (projectSoon).
    this.pullsInFlight++;
    let report: PullReport;
    try {
      report = await this.pullAndWitness(peer);
    } finally {
      this.pullsInFlight--;
    }
    // The effective list catches up once the pull is over (reads project on demand meanwhile).
    if (report.batches > 0) this.projectSoon();
    return report;
  }

  private async pullAndWitness(peer: Peer): Promise<PullReport> {
    const repinned = (p: Peer) => this.peerMap.set(p.id, p);
    const report = await pullPeer({ ...this.ingestDeps(), reader: this.reader, http: this.controlHttp, repinned }, peer, this.shutdown.signal);
    if (!report.ok || this.shutdown.signal.aborted) return report;
    await this.refreshIdentity();
    const witnessDeps = { store: this.store, http: this.controlHttp, clock: this.clock, log: this.log, self: { name: this.config.origin, key: this.identity.signingKey } };
    const current = this.peerMap.get(peer.id) ?? peer; // re-pinned if the pull followed a key rotation
    const witness = await witnessFeed(witnessDeps, current, report.source ?? peer.url, this.peers);
    if (witness.status !== 'cosigned') this.log.warn({ peer: peer.id, ...witness }, 'checkpoint not cosigned');
    // And the partner's cosignature of this node's own log, for this node's evidence bundles.
    await collectOwnCosignature({ ...witnessDeps, own: { id: this.config.id, key: parseVerifierKey(this.checkpointKey) } }, current);
    return { ...report, witness };
  }

  /**
   * Brings the effective list (what subscribers see) up to date: the keys applied batches
   * touched, listings that expired by now, and old changes past retention.
   */
  project(): void {
    if (!this.store.db.open) return;
    const now = this.clock();
    const idle = now < this.nextExpiryDue && now - this.lastPrune <= 3_600_000;
    // Read paths call this on every request. Writes by this process mark `localChange`; those
    // of other processes (CLI commands) are looked for at most every 100 ms, which spares busy
    // lookups a statement each.
    const tick = performance.now();
    if (idle && !this.localChange && tick - this.stampCheckedAt < 100) return;
    this.stampCheckedAt = tick;
    this.localChange = false;
    // Nothing written anywhere since the last projection and no expiry due: nothing to do.
    if (idle && this.storeStamp() === this.projectedStamp) return;
    const rules = { allowlist: this.currentPolicy.allowlist };
    const pending = projectPending(this.store, now, rules);
    const expired = projectExpired(this.store, now, rules);
    if (pending.changes + expired.changes > 0) {
      this.log.debug({ keys: pending.keys + expired.keys, changes: pending.changes + expired.changes }, 'effective list projected');
      this.dnsbl?.refresh();
      this.reader.checkpoint(this.store.db.name);
    }
    if (pending.keys > 0) this.prunePendingKeys();
    if (now - this.lastPrune > 3_600_000) {
      this.lastPrune = now;
      pruneChanges(this.store, now - this.config.subscribers.changesRetentionDays * DAY_MS);
    }
    this.nextExpiryDue = (this.store.prepare('SELECT min(next_expiry) FROM effective').pluck().get() as number | null) ?? Infinity;
    this.lastProjection = now;
    this.projectedStamp = this.storeStamp();
  }

  /**
   * Projected `pending_keys` rows are the log the lookup index follows: they are kept until it
   * has read them, unless it lags by more than 50 batches (no lookups lately), when it is
   * cheaper for it to start again from a snapshot at the next lookup.
   */
  private prunePendingKeys(): void {
    const position = this.lookupFollower?.pendingPosition;
    const newest = lastPendingId(this.store);
    prunePendingKeys(this.store, position !== undefined && newest - position <= 50 ? position : newest);
  }

  /**
   * Changes whenever any connection commits to the store: total_changes() counts this
   * connection's writes, data_version moves when another process (a CLI command) commits.
   */
  private storeStamp(): string {
    const { t, d } = this.store.prepare('SELECT total_changes() AS t, data_version AS d FROM pragma_data_version()').get() as { t: number; d: number };
    return `${t}:${d}`;
  }

  /** project() on the next turn of the event loop, once however often it is asked for. */
  private projectSoon(): void {
    this.localChange = true;
    // While pulls apply batches the projection waits (it would take the main thread between
    // batches), unless it has waited half a minute; reads still project on demand.
    if (this.pullsInFlight > 0 && this.clock() - this.lastProjection < 30_000) return;
    if (this.projectScheduled) return;
    this.projectScheduled = true;
    setImmediate(() => {
      this.projectScheduled = false;
      try {
        this.project();
      } catch (err) {
        this.log.error({ err: describeError(err) }, 'projection failed');
      }
    });
  }

  async pullAll(): Promise<PullReport[]> {
    return Promise.all(this.peers.map((p) => this.pull(p.id) as Promise<PullReport>));
  }

  lookup(ip: string): LookupResult {
    this.project();
    return this.lookupNow(ip);
  }

  /** The lookup answer as JSON text, from the cache while the store has not changed. */
  lookupJson(ip: string): string {
    this.project();
    const validity = this.lookupValidity();
    const cached = this.lookupCache.get(ip, validity);
    if (cached !== undefined) return cached;
    const body = lookupAnswerJson(this.lookupNow(ip));
    this.lookupCache.set(ip, validity, body);
    return body;
  }

  /** What a lookup answer depends on: the store as last projected, and the allowlist. */
  private lookupValidity(): string {
    return `${this.projectedStamp}:${this.allowlistStamp}`;
  }

  private lookupNow(ip: string): LookupResult {
    const source = this.lookupFollower ? this.lookupFollower.sync(this.lookupValidity()) : sqlLookupSource(this.store);
    return lookupAddress(source, ip, this.clock(), this.currentPolicy, (publisher, seq) => `${this.url}/v1/feeds/${publisher}/batches/${seq}`);
  }

  status(): StatusReport {
    return statusReport(
      this.store,
      { id: this.config.id, kid: this.identity.kid, publicUrl: this.url, checkpointKey: this.checkpointKey },
      this.peers,
      this.clock(),
      { quorum: this.config.transparency.witnessQuorum, maxAgeMs: this.config.transparency.maxWitnessAgeMinutes * 60_000 },
    );
  }

  // --- internals --------------------------------------------------------------------------

  /** Picks up a key rotated by `spamx key rotate` in another process (README "Key rotation"). */
  private async refreshIdentity(): Promise<void> {
    const kid = currentKid(this.store, this.config.id);
    if (kid === undefined || kid === this.identity.kid) return;
    this.identity = await loadOwnIdentity(this.config.paths, this.store, this.config.id);
    this.log.info({ kid: this.identity.kid }, 'signing key rotated');
  }

  /** Queues accepted reports and records refused lines, like refused entries of a batch. */
  private enqueue(parsed: ParsedReport): ParsedReport {
    const now = this.clock();
    this.localChange = true; // refusals show in lookups
    if (parsed.accepted.length > 0) enqueueReports(this.store, parsed.accepted, now);
    const refused = parsed.refused.map((r) => ({ ...r, index: null, reason: `report line ${r.line}: ${r.reason}` }));
    recordRefusals(this.store, this.config.id, null, refused, now);
    return parsed;
  }

  private ingestDeps() {
    return { store: this.store, config: this.config, policy: this.policy, clock: this.clock, log: this.log };
  }

  private schedule(): void {
    if (!this.server) return;
    this.scheduler.setJobs([
      { name: 'publish', schedule: this.config.publish.schedule, run: () => this.publish() },
      ...this.peers.map((peer) => ({
        name: `pull:${peer.id}`,
        schedule: peer.schedule ?? this.config.pull.defaultSchedule,
        run: async () => {
          const next = peerState(this.store, peer.id).nextAttemptAt;
          if (next !== null && this.clock() < next) return; // backing off after failures
          await this.pull(peer.id);
        },
      })),
    ]);
  }

  private loadPolicy(): Policy {
    const { minPrefixLength } = this.config.policy;
    return { minPrefixLength: { 4: minPrefixLength.v4, 6: minPrefixLength.v6 }, allowlist: loadAllowlist(this.config.allowlistPath) };
  }

  /**
   * Re-reads the peers directory and the allowlist and re-schedules pulls (at start, on SIGHUP,
   * and whenever those files change). A broken allowlist keeps the previous one in force.
   */
  async reload(): Promise<void> {
    this.reloadSignature = fileSignature(this.config.paths.peers, this.config.allowlistPath);
    try {
      const before = this.currentPolicy.allowlist.members();
      this.currentPolicy = this.loadPolicy();
      const after = this.currentPolicy.allowlist.members();
      const changed = before.length !== after.length || before.some((p, i) => p.text !== after[i]!.text);
      if (changed) {
        this.allowlistStamp++;
        this.localChange = true;
      }
      // Prefixes the old or new allowlist touches are projected again (carved or restored).
      if (changed) writeTransaction(this.store, () => queueOverlapping(this.store, [...before, ...after]));
    } catch (err) {
      this.log.error({ err: describeError(err) }, 'allowlist not reloaded; keeping the previous one');
    }
    const { peers, errors } = await loadPeers(this.config.paths.peers);
    for (const err of errors) this.log.error({ code: err.code, err: err.message }, 'peer file ignored');
    this.peerMap = new Map(peers.filter((p) => p.id !== this.config.id).map((p) => [p.id, p]));
    this.schedule();
  }

  private async reloadIfChanged(): Promise<void> {
    if (fileSignature(this.config.paths.peers, this.config.allowlistPath) === this.reloadSignature) return;
    await this.reload();
    this.log.info({ peers: this.peerMap.size, allowlist: this.currentPolicy.allowlist.size }, 'reloaded peers and allowlist');
  }
}

function fileSignature(peersDir: string, allowlist: string): string {
  const parts: string[] = [];
  const stamp = (file: string) => {
    try {
      const s = statSync(file);
      parts.push(`${file}:${s.mtimeMs}:${s.size}`);
    } catch {
      parts.push(`${file}:-`);
    }
  };
  stamp(allowlist);
  try {
    for (const name of readdirSync(peersDir).sort()) if (name.endsWith('.json')) stamp(`${peersDir}/${name}`);
  } catch {
    parts.push('no-peers-dir');
  }
  return parts.join('|');
}
