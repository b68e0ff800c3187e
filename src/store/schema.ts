import { sql } from 'drizzle-orm';
import { blob, index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * The node's store. Times are milliseconds since the epoch. Generate migrations after a change
 * with `npm run db:generate`; the daemon applies them at start-up.
 */

/** Every feed this node holds verified batches of: its own and its peers'. */
export const feeds = sqliteTable('feeds', {
  publisher: text('publisher').primaryKey(),
  size: integer('size').notNull(),
  head: text('head'),
  updatedAt: integer('updated_at').notNull(),
  /** An upper bound on the publisher's active listings here, so quotas rarely need a count. */
  activeBound: integer('active_bound').notNull().default(0),
});

/**
 * Authentic batches (the log must stay complete and verifiable); each one's compact JWS is kept
 * verbatim in `batch_parts`, `jws_bytes` long.
 */
export const batches = sqliteTable(
  'batches',
  {
    publisher: text('publisher').notNull(),
    seq: integer('seq').notNull(),
    leafHash: text('leaf_hash').notNull(),
    jwsBytes: integer('jws_bytes').notNull().default(0),
    kid: text('kid').notNull(),
    issuedAt: integer('issued_at').notNull(),
    entryCount: integer('entry_count').notNull(),
    refusedCount: integer('refused_count').notNull(),
    receivedAt: integer('received_at').notNull(),
    /** The batch's distribution label as a core/tlp.ts rank (its `tlp`, or the sealed one's). */
    tlp: integer('tlp').notNull().default(1),
    /** A sealed batch's recipients (centre ids, space-separated); null for an open batch. */
    recipients: text('recipients'),
  },
  (t) => [primaryKey({ columns: [t.publisher, t.seq] })],
);

/**
 * A batch's compact JWS, verbatim, in parts of at most 1 MiB (src/store/batch-parts.ts), in
 * order. Binding a 24 MB value cost SQLite about 60 MB of transient copies per stored batch;
 * parts bound one at a time cost one part's worth.
 */
export const batchParts = sqliteTable(
  'batch_parts',
  {
    publisher: text('publisher').notNull(),
    seq: integer('seq').notNull(),
    part: integer('part').notNull(),
    text: text('text').notNull(),
  },
  (t) => [primaryKey({ columns: [t.publisher, t.seq, t.part] })],
);

/**
 * The merged store: one row per (prefix, publisher) holding that publisher's latest op for the
 * prefix (PROTOCOL "Merged store semantics"). A prefix is listed while one of its `list` rows
 * has not expired; the per-prefix view is computed from these rows when read.
 */
export const listings = sqliteTable(
  'listings',
  {
    /** core/prefix.ts `key`: orders rows by address. */
    key: text('key').notNull(),
    publisher: text('publisher').notNull(),
    prefix: text('prefix').notNull(),
    op: text('op', { enum: ['list', 'delist'] }).notNull(),
    firstSeen: integer('first_seen'),
    lastSeen: integer('last_seen'),
    reports: integer('reports'),
    expires: integer('expires'),
    category: text('category'),
    reason: text('reason'),
    seq: integer('seq').notNull(),
    /** The label (core/tlp.ts rank) of the batch that carried this op. */
    tlp: integer('tlp').notNull().default(1),
  },
  (t) => [primaryKey({ columns: [t.key, t.publisher] })],
);

/** Entries and report lines this node declined to act on, with the reason code. */
export const refusals = sqliteTable(
  'refusals',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    publisher: text('publisher').notNull(),
    seq: integer('seq'),
    entryIndex: integer('entry_index'),
    prefix: text('prefix'),
    code: text('code').notNull(),
    reason: text('reason').notNull(),
    at: integer('at').notNull(),
  },
  (t) => [index('refusals_publisher_code').on(t.publisher, t.code), index('refusals_code').on(t.code), index('refusals_prefix').on(t.prefix)],
);

/** Local observations waiting for the next batch of this node's feed. */
export const reportQueue = sqliteTable('report_queue', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  op: text('op', { enum: ['list', 'delist'] }).notNull(),
  prefix: text('prefix').notNull(),
  firstSeen: integer('first_seen').notNull(),
  lastSeen: integer('last_seen').notNull(),
  reports: integer('reports').notNull(),
  expires: integer('expires'),
  category: text('category'),
  reason: text('reason'),
  queuedAt: integer('queued_at').notNull(),
  /** The label to publish under (core/tlp.ts rank); null for the node's default. */
  tlp: integer('tlp'),
  /** Sealed to these centres (ids, space-separated, sorted); null for an open batch. */
  recipients: text('recipients'),
});

/** Pull bookkeeping per peer: last outcome, backoff, and a lease so one pull runs at a time. */
export const peerState = sqliteTable('peer_state', {
  peer: text('peer').primaryKey(),
  lastAttemptAt: integer('last_attempt_at'),
  lastSuccessAt: integer('last_success_at'),
  lastSource: text('last_source'),
  lastErrorCode: text('last_error_code'),
  lastError: text('last_error'),
  lastErrorAt: integer('last_error_at'),
  failures: integer('failures').notNull().default(0),
  nextAttemptAt: integer('next_attempt_at'),
  leaseOwner: text('lease_owner'),
  leaseUntil: integer('lease_until'),
});

/** Every failed pull, kept for operators: the peer, the reason code and the seq it concerned. */
export const pullFailures = sqliteTable(
  'pull_failures',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    peer: text('peer').notNull(),
    at: integer('at').notNull(),
    source: text('source'),
    seq: integer('seq'),
    code: text('code').notNull(),
    message: text('message').notNull(),
  },
  (t) => [index('pull_failures_peer').on(t.peer, t.at)],
);

/**
 * The effective list, projected from `listings` (src/store/projector.ts): what subscribers are
 * served. One row per listed CIDR piece: a listed prefix, or the pieces of one that contains
 * allowlisted addresses. `id` is stable while the piece stays listed (CrowdSec decision ids);
 * `refs` counts the listed prefixes contributing the piece.
 */
export const effective = sqliteTable(
  'effective',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    key: text('key').notNull().unique(),
    prefix: text('prefix').notNull(),
    refs: integer('refs').notNull(),
    firstSeen: integer('first_seen').notNull(),
    lastSeen: integer('last_seen').notNull(),
    reports: integer('reports').notNull(),
    expires: integer('expires').notNull(),
    /** Earliest expiry among the active sources: when the row must be projected again. */
    nextExpiry: integer('next_expiry').notNull(),
    /** Active sources, sorted, space-separated. */
    sources: text('sources').notNull(),
    sourceCount: integer('source_count').notNull(),
    listedAt: integer('listed_at').notNull(),
    /** The most restrictive label (core/tlp.ts rank) among the active sources' listings. */
    tlp: integer('tlp').notNull().default(1),
  },
  (t) => [
    index('effective_next_expiry').on(t.nextExpiry),
    // The few pieces labelled beyond green, found without a scan (store/effective-pages.ts).
    index('effective_restricted').on(t.key).where(sql`${t.tlp} > 1`),
  ],
);

/** Which effective pieces each listed prefix (origin) contributes. */
export const originPieces = sqliteTable(
  'origin_pieces',
  {
    origin: text('origin').notNull(),
    piece: text('piece').notNull(),
  },
  (t) => [primaryKey({ columns: [t.origin, t.piece] }), index('origin_pieces_piece').on(t.piece)],
);

/**
 * Every change of the effective list, in order: `added`, `removed`, and `updated` (the sources
 * or the expiry of a listed piece changed). The change stream, the CrowdSec decision stream and
 * the DNSBL index follow this log.
 */
export const changes = sqliteTable('changes', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  op: text('op', { enum: ['added', 'removed', 'updated'] }).notNull(),
  key: text('key').notNull(),
  prefix: text('prefix').notNull(),
  at: integer('at').notNull(),
  /**
   * The piece's `effective.id` (its CrowdSec decision id) and its sources at the change. A
   * `removed` row is all that is left of a piece once it is gone, and a bouncer must be told to
   * delete the decision by the id it was sent under. Null only in rows logged before these
   * columns existed, which no decision stream reaches (streams start after them).
   */
  pieceId: integer('piece_id'),
  sources: text('sources'),
  /** The piece's label (core/tlp.ts rank) at the change; null in rows logged before labels (green). */
  tlp: integer('tlp'),
});

/** Prefix keys whose effective state must be projected again, written with each applied batch. */
export const pendingKeys = sqliteTable('pending_keys', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  keys: text('keys').notNull(),
});

/** Small named values: the store's random epoch (in cursors), the effective list's version. */
export const meta = sqliteTable('meta', {
  name: text('name').primaryKey(),
  value: text('value').notNull(),
});

/** ISPs' and mail operators' API keys, stored as SHA-256 hashes only. */
export const subscribers = sqliteTable('subscribers', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull().unique(),
  keyHash: text('key_hash').notNull().unique(),
  createdAt: integer('created_at').notNull(),
  revokedAt: integer('revoked_at'),
  /**
   * A network owner's key sees only listings inside this scope (PROTOCOL "Additions: origins"):
   * JSON `{"countries":[…],"asns":[…],"within":[…]}`, null for the whole list.
   */
  scope: text('scope'),
  /** Where the daily report of the scope goes (README "Network owners' own feeds"); null for none. */
  contact: text('contact'),
});

/**
 * The daily scope reports mailed to subscribers with a contact (one row per subscriber and UTC
 * day): a report is sent once, retried with backoff while it fails, and its last error kept.
 */
export const mailReports = sqliteTable(
  'mail_reports',
  {
    subscriberId: integer('subscriber_id').notNull(),
    /** The UTC day reported, YYYY-MM-DD. */
    day: text('day').notNull(),
    attempts: integer('attempts').notNull().default(0),
    sentAt: integer('sent_at'),
    nextAttemptAt: integer('next_attempt_at'),
    lastError: text('last_error'),
  },
  (t) => [primaryKey({ columns: [t.subscriberId, t.day] })],
);

/** Per subscriber key, the change-stream position the CrowdSec bouncer stream has sent up to. */
export const decisionStreams = sqliteTable('decision_streams', {
  subscriberId: integer('subscriber_id').primaryKey(),
  cursor: integer('cursor').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

/**
 * Every (family, prefix length) that occurs in `listings`, e.g. `420` for IPv4 /32: a lookup
 * asks only for the prefixes of those lengths that contain the address, not all 33 or 129.
 */
export const prefixLengths = sqliteTable('prefix_lengths', {
  familyLength: text('family_length').primaryKey(),
});

/**
 * Each feed's Merkle tree (RFC 6962 §2.1; leaves are the batches' leaf hashes in seq order) as
 * its complete subtrees: level L, index i covers leaves [i·2^L, (i+1)·2^L). Appending a batch
 * adds at most log2(n)+1 rows; roots and proofs are read from them, never rebuilt.
 */
export const treeNodes = sqliteTable(
  'tree_nodes',
  {
    publisher: text('publisher').notNull(),
    level: integer('level').notNull(),
    idx: integer('idx').notNull(),
    hash: blob('hash', { mode: 'buffer' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.publisher, t.level, t.idx] })],
);

/**
 * Signed checkpoints (C2SP tlog-checkpoint notes) of each feed: the node's own, signed after
 * every batch, and its partners', verified against its own copy of their tree.
 */
export const checkpoints = sqliteTable(
  'checkpoints',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    publisher: text('publisher').notNull(),
    size: integer('size').notNull(),
    root: text('root').notNull(),
    note: text('note').notNull(),
    receivedAt: integer('received_at').notNull(),
  },
  (t) => [index('checkpoints_publisher_size').on(t.publisher, t.size)],
);

/**
 * What this node, as a witness, trusts of each partner's log: the largest checkpoint it has
 * verified (never moves backwards), and whether the feed is frozen after proof of equivocation.
 */
export const witnessState = sqliteTable('witness_state', {
  publisher: text('publisher').primaryKey(),
  trustedSize: integer('trusted_size').notNull(),
  trustedRoot: text('trusted_root').notNull(),
  trustedNote: text('trusted_note').notNull(),
  frozenAt: integer('frozen_at'),
  frozenReason: text('frozen_reason'),
});

/** Cosigned checkpoints: this node's own cosignatures and those it collected from partners. */
export const cosignatures = sqliteTable(
  'cosignatures',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    publisher: text('publisher').notNull(),
    witness: text('witness').notNull(),
    size: integer('size').notNull(),
    root: text('root').notNull(),
    /** Cosignature time, seconds since the epoch. */
    timestamp: integer('timestamp').notNull(),
    /** The checkpoint note with the publisher's signature and the witness's cosignature. */
    note: text('note').notNull(),
  },
  (t) => [index('cosignatures_publisher_witness').on(t.publisher, t.witness, t.size)],
);

/** Proof of a partner's misbehaviour: two signed statements that cannot both be true. */
export const evidence = sqliteTable('evidence', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  publisher: text('publisher').notNull(),
  kind: text('kind').notNull(),
  detail: text('detail').notNull(),
  noteA: text('note_a').notNull(),
  noteB: text('note_b'),
  at: integer('at').notNull(),
});

/**
 * Key statements (README "Key rotation"): this node's own, and verified copies of its partners',
 * served so mirrors work. Each is the RFC 7515 §7.2.1 General JWS JSON text; statements of one
 * publisher chain by the SHA-256 of the previous payload, as batches chain by leaf hash.
 */
export const keyStatements = sqliteTable(
  'key_statements',
  {
    publisher: text('publisher').notNull(),
    statement: integer('statement').notNull(),
    payloadHash: text('payload_hash').notNull(),
    jws: text('jws').notNull(),
    receivedAt: integer('received_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.publisher, t.statement] })],
);

/**
 * The console's counters (README "The operator's console"), advanced from the `changes` and
 * `refusals` logs right after each projection (store/console-counters.ts), never by reading
 * batches again. Listings started and ended per UTC month and source centre: a piece entering
 * the merged list counts once for each centre listing it then, a piece leaving it once for each
 * centre that last listed it.
 */
export const listingMonths = sqliteTable(
  'listing_months',
  {
    /** UTC month, YYYY-MM. */
    month: text('month').notNull(),
    source: text('source').notNull(),
    started: integer('started').notNull().default(0),
    ended: integer('ended').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.month, t.source] })],
);

/** The merged list's size at the end of each UTC hour it changed in (a running total of `changes`). */
export const listSizeHours = sqliteTable('list_size_hours', {
  /** The hour's start, ms since the epoch. */
  hour: integer('hour').primaryKey(),
  listed: integer('listed').notNull(),
});

/** Entries and report lines refused per UTC month, publisher and reason code. */
export const refusalMonths = sqliteTable(
  'refusal_months',
  {
    month: text('month').notNull(),
    publisher: text('publisher').notNull(),
    code: text('code').notNull(),
    count: integer('count').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.month, t.publisher, t.code] })],
);

/**
 * Each subscriber key's use per UTC hour, flushed from the serving node's memory about once a
 * minute: requests answered and requests refused with 429. Hours older than 8 days are pruned.
 */
export const subscriberUsage = sqliteTable(
  'subscriber_usage',
  {
    subscriberId: integer('subscriber_id').notNull(),
    hour: integer('hour').notNull(),
    requests: integer('requests').notNull().default(0),
    limited: integer('limited').notNull().default(0),
    lastUsedAt: integer('last_used_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.subscriberId, t.hour] })],
);

/**
 * Removal requests from listed parties (PROTOCOL "Additions: console"): stored, never acted on by
 * themselves; the operator accepts one (which queues a delist) or rejects it.
 */
export const removalRequests = sqliteTable(
  'removal_requests',
  {
    /** Random, unguessable: the id a requester is given back. */
    id: text('id').primaryKey(),
    address: text('address').notNull(),
    contact: text('contact').notNull(),
    message: text('message').notNull(),
    /** The client address (an IPv6 client's /64) the request came from, for the per-client bound. */
    client: text('client').notNull(),
    createdAt: integer('created_at').notNull(),
    status: text('status', { enum: ['open', 'accepted', 'rejected'] }).notNull().default('open'),
    decidedAt: integer('decided_at'),
    /** The operator's note on the decision (the delist reason when accepted). */
    decisionNote: text('decision_note'),
  },
  (t) => [
    index('removal_requests_address').on(t.address, t.createdAt),
    index('removal_requests_client').on(t.client, t.createdAt),
    index('removal_requests_status').on(t.status, t.createdAt),
  ],
);

/**
 * The inner JWS of each sealed batch this node could open (issue 16, item 3): the publisher's
 * signed entries payload, whose SHA-256 is the logged `innerDigest`. Kept so evidence bundles
 * can prove offline what the publisher sent to its recipients.
 */
export const sealedInner = sqliteTable(
  'sealed_inner',
  {
    publisher: text('publisher').notNull(),
    seq: integer('seq').notNull(),
    jws: text('jws').notNull(),
  },
  (t) => [primaryKey({ columns: [t.publisher, t.seq] })],
);

/**
 * Each partner's access to this node's batch routes (issue 16, item 4), per outcome: `ok` for a
 * served signed request, or the refusal's code. `partner` is the pinned peer the key belongs to,
 * or `key:<thumbprint>` for an unpinned key, or `unsigned` for a request with no signature.
 * Counted in memory and flushed about once a minute, as subscriber usage is.
 */
export const partnerAccess = sqliteTable(
  'partner_access',
  {
    partner: text('partner').notNull(),
    outcome: text('outcome').notNull(),
    count: integer('count').notNull().default(0),
    lastAt: integer('last_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.partner, t.outcome] })],
);

/**
 * Zone distribution (PROTOCOL "Additions: zone distribution"): what this node knows of each DNS
 * secondary — the configured NOTIFY targets and every client that transferred the zone — keyed
 * by `host:port` for a NOTIFY target or the client's address for a transfer.
 */
export const zoneSecondaries = sqliteTable('zone_secondaries', {
  secondary: text('secondary').primaryKey(),
  /** The last serial the secondary acknowledged (NOTIFY answer) or transferred up to. */
  lastSerial: integer('last_serial'),
  lastAckAt: integer('last_ack_at'),
  lastTransferAt: integer('last_transfer_at'),
  /** `AXFR` or `IXFR`. */
  lastTransferKind: text('last_transfer_kind'),
  refused: integer('refused').notNull().default(0),
  lastError: text('last_error'),
  lastErrorAt: integer('last_error_at'),
});
