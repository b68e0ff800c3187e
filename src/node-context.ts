import { pino, type Logger } from 'pino';
import { loadConfig, type ConfigFile, type NodeConfig } from './config/config.js';
import { readEnv } from './config/env.js';
import { NodeFiles } from './config/node-files-watcher.js';
import { OriginData } from './config/origin-files.js';
import { LocalReports } from './ingest/local-reports.js';
import { signOwnCheckpoint } from './ingest/own-checkpoint.js';
import { OwnIdentity } from './ingest/own-identity.js';
import { publishOwnEncKey } from './ingest/rotate-key.js';
import { SealRules } from './ingest/seal-rules.js';
import { PullService } from './ingest/pull-service.js';
import { NodeMetrics } from './serve/metrics/node-metrics.js';
import { ChangeFollower } from './read/change-follower.js';
import { LookupService } from './read/lookup-service.js';
import { openNodeStore, writeTransaction, type Store } from './store/open-store.js';
import { Projection } from './store/projection.js';
import { queueOverlapping } from './store/projector.js';
import { backfillTrees } from './store/tree-store.js';
import { logOptions } from './config/log-options.js';

export interface NodeOptions {
  readonly dataDir: string;
  /** Config members that override `config.json` (tests, `serve --port`). */
  readonly overrides?: Partial<ConfigFile>;
  readonly clock?: () => number;
  readonly logger?: Logger;
  /** How often the peers directory and allowlist are checked for edits. */
  readonly reloadIntervalMs?: number;
}

/** What the node's parts are made of and share (atproto's AppContext): built once by `create`. */
export interface NodeContext {
  readonly config: NodeConfig;
  readonly store: Store;
  readonly log: Logger;
  readonly clock: () => number;
  readonly identity: OwnIdentity;
  readonly files: NodeFiles;
  readonly projection: Projection;
  readonly reports: LocalReports;
  readonly pulls: PullService;
  readonly follower: ChangeFollower;
  readonly lookups: LookupService;
  /** Where addresses are registered: loaded on first use, reloaded when its files change. */
  readonly origins: OriginData;
  /** Prometheus metrics and subscriber usage counts (src/serve/metrics/), fed by ingest's observer. */
  readonly metrics: NodeMetrics;
}

/** What the context needs from the node that holds it. */
export interface NodeHooks {
  /** The URL the node is reachable at (known once it listens). */
  readonly url: () => string;
  /** The peers directory was read again: pull schedules follow it. */
  readonly peersChanged: () => void;
}

/**
 * Opens the store and builds every part of a node around it, each given only the parts it uses
 * (ingest → store → read; serve is built by `SpamxNode.start`).
 */
export async function createContext(options: NodeOptions, hooks: NodeHooks): Promise<NodeContext> {
  const config = loadConfig(options.dataDir, options.overrides);
  const log = options.logger ?? pino(logOptions(readEnv().logLevel ?? config.logLevel, { node: config.id }));
  const clock = options.clock ?? Date.now;
  const store = openNodeStore(config.paths.database);
  const identity = await OwnIdentity.load(config, store, log);
  await publishOwnEncKey({ store, config, clock }); // sealed batches: the encryption key in a key statement
  const files = new NodeFiles(config, log, {
    allowlistChanged: (before, after) => {
      projection.markChanged();
      // Prefixes the old or new allowlist touches are projected again (carved or restored).
      writeTransaction(store, () => queueOverlapping(store, [...before, ...after]));
    },
    peersChanged: () => hooks.peersChanged(),
  });
  const metrics = new NodeMetrics({
    store, log, clock,
    peers: () => files.peers().keys(),
    changePosition: () => follower.serial,
    originDatasets: () => origins.loaded()?.datasets,
    witnessQuorum: config.transparency.witnessQuorum,
  });
  const base = { config, store, log, clock, policy: files.policy, identity, observer: metrics.observer };
  const projection: Projection = new Projection({
    store, log, clock,
    changesRetentionDays: config.subscribers.changesRetentionDays,
    allowlist: () => files.policy().allowlist,
    busy: () => pulls.pulling > 0,
    followed: () => follower.pendingPosition,
    projected: () => {
      follower.refresh();
      pulls.checkpoint();
    },
  });
  const pulls: PullService = new PullService({ ...base, peers: files.peers, repinned: (p) => files.repinned(p), pulled: () => projection.soon() });
  const reports = new LocalReports({
    ...base,
    // Reports sealed to partners: `--to`/`to` checked against the pinned peers, `publish.seal` by origin data.
    sealing: { self: config.id, store, pinned: () => [...files.peers().keys()], rules: new SealRules(config.publish.seal, () => origins.current()) },
    changed: (published) => {
      projection.markChanged();
      if (published.length === 0) return;
      pulls.checkpoint();
      projection.soon();
    },
  });
  const follower: ChangeFollower = new ChangeFollower(store, log, { dnsbl: config.dnsbl.port !== null });
  const origins = new OriginData(config);
  const lookups = new LookupService({
    store, clock, follower, policy: files.policy,
    freshen: () => {
      projection.now();
      return `${projection.stamp}:${files.allowlistStamp}`;
    },
    batchUrl: (publisher, seq) => `${hooks.url()}/v1/feeds/${publisher}/batches/${seq}`,
    origins: () => origins.current(),
  });
  await files.reload();
  backfillTrees(store);
  signOwnCheckpoint(store, { id: config.id, origin: config.origin, key: identity.current.signingKey }, clock());
  return { config, store, log, clock, identity, files, projection, reports, pulls, follower, lookups, origins, metrics };
}
