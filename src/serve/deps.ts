import type { BlocklistThreads } from './blocklist-threads.js';
import type { FederationStatus } from '../store/partner-access-store.js';
import type { NodeConfig } from '../config/config.js';
import type { Peer } from '../config/peers.js';
import type { Policy } from '../core/policy.js';
import type { PublishedBatch } from '../core/published-batch.js';
import type { PullReport } from '../core/pull-report.js';
import type { ParsedReport } from '../core/report.js';
import type { Store } from '../store/open-store.js';
import type { StatusReport } from '../store/status-report.js';
import type { LookupResult } from '../read/lookup-answer.js';
import type { OriginTable } from '../core/origin-table.js';
import type { OriginDataset } from '../core/origin.js';
import type { NodeMetrics } from './metrics/node-metrics.js';
import type { buildEvidence } from '../audit/build-evidence.js';
import type { RemovalDecision, RemovalRequest } from '../core/removal-request.js';
import type { QueueLabel } from '../store/queue-store.js';
import type { LookupView } from '../read/lookup-answer.js';

/** What the operator endpoints may ask the node to do; wired to ingest by daemon.ts. */
export interface OperatorActions {
  /** `label`: the label (and recipients) to queue under (store/queue-store.ts); the node's default when absent. */
  reportText(text: string, label?: QueueLabel): ParsedReport;
  reportObjects(objects: readonly unknown[], label?: QueueLabel): ParsedReport;
  delist(prefixes: readonly string[], reason: string | null): ParsedReport;
  publish(): Promise<PublishedBatch[]>;
  /** Undefined when no such peer is pinned. */
  pull(peerId: string): Promise<PullReport | undefined>;
  /** The store's report, and the origin data sets in use (PROTOCOL "Additions: origins"). */
  status(): StatusReport & { readonly origins: readonly OriginDataset[]; readonly federation: FederationStatus };
  /** `view`: the labels shown (read/lookup-answer.ts); the operator's, all of them, when absent. */
  lookup(ip: string, view?: LookupView): LookupResult;
  /** lookup() serialized, cached while the store is unchanged. */
  /** `view`: which labels the caller may see (read/lookup-answer.ts). */
  lookupJson(ip: string, view: LookupView): string;
  /** The operator's decision on a removal request (src/ingest/removal-decisions.ts): accept queues a delist. */
  decideRemovalRequest(id: string, decision: RemovalDecision, note: string | null): RemovalRequest;
}

export interface ServeDeps {
  readonly config: NodeConfig;
  readonly store: Store;
  readonly clock: () => number;
  readonly policy: () => Policy;
  readonly descriptor: () => Descriptor;
  readonly operatorToken: string;
  readonly actions: OperatorActions;
  /** Brings the effective list up to date with applied batches and expiry before it is read. */
  readonly project: () => void;
  /** The URL this node is reachable at. */
  readonly publicUrl: () => string;
  /** False while the read models are built at start: `/healthz` answers 503 "starting". */
  readonly ready: () => boolean;
  /** The threads `GET /v1/blocklist` renders on, off the thread that answers DNS and /healthz. */
  readonly exportThreads: BlocklistThreads;
  /** The origin tables in use (country, AS, registry); replaced whole when the data is reloaded. */
  readonly origins: () => OriginTable;
  /** The node's metrics (`GET /metrics`, src/serve/metrics/) and subscriber usage counts; absent in bare test apps. */
  readonly metrics?: NodeMetrics;
  /** The pinned peers now: whose signed requests `federation.access: "partners"` serves (partner-access.ts). */
  readonly peers?: () => ReadonlyMap<string, Peer>;
  /** The evidence bundle proving this node's listing of an address (audit/build-evidence.ts), for the console's download. */
  readonly evidence: (ip: string) => ReturnType<typeof buildEvidence>;
}

/** `GET /.well-known/spamx` (PROTOCOL "Federation endpoints"). */
export interface Descriptor {
  readonly id: string;
  readonly name: string;
  readonly country: string | undefined;
  readonly protocol: 1;
  readonly keys: { readonly keys: readonly Record<string, string>[] };
  /** C2SP verifier key of the node's checkpoints: `name+hexkeyid+base64(0x01‖pub)`. */
  readonly checkpointKey: string;
}
