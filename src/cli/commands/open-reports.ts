import { pino } from 'pino';
import { loadConfig } from '../../config/config.js';
import { readEnv } from '../../config/env.js';
import { NodeFiles } from '../../config/node-files-watcher.js';
import { LocalReports } from '../../ingest/local-reports.js';
import { signOwnCheckpoint } from '../../ingest/own-checkpoint.js';
import { OwnIdentity } from '../../ingest/own-identity.js';
import { publishOwnEncKey } from '../../ingest/rotate-key.js';
import { SealRules } from '../../ingest/seal-rules.js';
import { loadPeers } from '../../config/peers.js';
import { OriginData } from '../../config/origin-files.js';
import { ONE_SHOT_CACHE_KIB, openNodeStore } from '../../store/open-store.js';
import { backfillTrees } from '../../store/tree-store.js';
import { logOptions } from '../../config/log-options.js';

/**
 * The node's own reports for one CLI command (`spamx report`, `spamx publish`), with only the
 * parts they use: config, store, signing key, allowlist. Not a whole node (`withNode`), whose
 * server, DNSBL, mail and pull modules cost some 22 MB of every process for nothing here
 * (test/bench/README.md "Reports of 500,000 lines"). What it changes, a serving node sees in
 * the store: a queue to publish, batches to serve and project.
 */
export async function withLocalReports<T>(dataDir: string, fn: (reports: LocalReports) => Promise<T>): Promise<T> {
  const config = loadConfig(dataDir);
  const log = pino(logOptions(readEnv().logLevel ?? 'warn', { node: config.id }), pino.destination(2));
  const store = openNodeStore(config.paths.database, { cacheKib: ONE_SHOT_CACHE_KIB });
  try {
    const identity = await OwnIdentity.load(config, store, log);
    await publishOwnEncKey({ store, config, clock: Date.now }); // sealed batches: the encryption key in a key statement
    // Read once for local policy (the allowlist); never watched in a one-shot command.
    const files = new NodeFiles(config, log, { allowlistChanged: () => {}, peersChanged: () => {} });
    // As a node does when it opens (node-context.ts): trees complete, the own checkpoint fresh.
    backfillTrees(store);
    signOwnCheckpoint(store, { id: config.id, origin: config.origin, key: identity.current.signingKey }, Date.now());
    // Sealed reports (`--to`, `publish.seal`): the pinned peers read once, the origin data only if a rule needs it.
    const { peers } = await loadPeers(config.paths.peers);
    const origins = new OriginData(config);
    const rules = new SealRules(config.publish.seal, () => origins.current());
    const sealing = { self: config.id, store, pinned: () => peers.map((p) => p.id), rules };
    const reports = new LocalReports({ config, store, log, clock: Date.now, policy: files.policy, identity, sealing, changed: () => {} });
    return await fn(reports);
  } finally {
    store.close();
  }
}
