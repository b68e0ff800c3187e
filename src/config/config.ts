import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import cron from 'node-cron';
import { z } from 'zod';
import { CENTRE_ID_RE, MAX_JWS_BYTES } from '../core/batch.js';
import { SpamxError } from '../core/errors.js';
import { trustedRelayProblem } from '../core/mail-origin.js';
import { nodePaths, type NodePaths } from './paths.js';
import { TLP_LABELS } from '../core/tlp.js';

const MiB = 1024 * 1024;
export const cronExpression = z.string().refine((v) => cron.validate(v), { message: 'not a valid cron expression' });

/** `DIR/config.json`. Every member but id and name has a default; unknown members are errors. */
export const ConfigSchema = z
  .object({
    id: z.string().regex(CENTRE_ID_RE, 'must match ^[a-z][a-z0-9-]{1,31}$'),
    name: z.string().min(1).max(200),
    country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code').optional(),
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8440),
    /** The URL partners and subscribers reach this node at; defaults to http://host:port. */
    publicUrl: z.url().optional(),
    tls: z.object({ cert: z.string(), key: z.string() }).strict().optional(),
    publish: z
      .object({
        schedule: cronExpression.default('*/5 * * * *'),
        defaultExpiryDays: z.number().positive().default(30),
        /** The label this node's batches carry unless a report names another (core/tlp.ts); green if unset. */
        tlp: z.enum(TLP_LABELS).optional(),
        /**
         * Sealed batches by rule (ingest/seal-rules.ts): reports of listings registered in
         * `country` (origin data) are sealed to the centres `to`; the first matching rule wins.
         */
        seal: z
          .array(z.object({ country: z.string().regex(/^[A-Za-z]{2}$/), to: z.array(z.string().regex(CENTRE_ID_RE)).min(1) }).strict())
          .default([]),
      })
      .strict()
      .prefault({}),
    pull: z
      .object({
        defaultSchedule: cronExpression.default('*/5 * * * *'),
        connectTimeoutMs: z.number().int().positive().default(10_000),
        headersTimeoutMs: z.number().int().positive().default(30_000),
        bodyTimeoutMs: z.number().int().positive().default(30_000),
        deadlineMs: z.number().int().positive().default(300_000),
        maxBodyBytes: z.number().int().positive().default(MAX_JWS_BYTES + MiB),
        pageLimit: z.number().int().min(1).max(1000).default(100),
        leaseMs: z.number().int().positive().default(900_000),
        backoffBaseMs: z.number().int().positive().default(30_000),
        backoffMaxMs: z.number().int().positive().default(3_600_000),
      })
      .strict()
      .prefault({}),
    policy: z
      .object({
        minPrefixLength: z
          .object({ v4: z.number().int().min(0).max(32).default(16), v6: z.number().int().min(0).max(128).default(32) })
          .strict()
          .prefault({}),
        allowlistFile: z.string().default('allowlist.txt'),
        /** Most active listings one peer may hold in this store; null for no limit. */
        defaultPeerQuota: z.number().int().positive().nullable().default(2_000_000),
        /** Listings never last longer than this after their batch was issued. */
        maxExpiryDays: z.number().positive().default(90),
      })
      .strict()
      .prefault({}),
    serve: z
      .object({
        pageMaxBatches: z.number().int().min(1).max(1000).default(100),
        pageMaxBytes: z.number().int().positive().default(16 * MiB),
        maxRequestBytes: z.number().int().positive().default(64 * MiB),
        /**
         * A response whose reader stops reading is ended at most this long after, its socket closed
         * and its buffers and read snapshot freed (src/serve/response-limits.ts). A slow link that
         * keeps the node's socket writes moving every half of it is not cut (that file says how much).
         * 20 s, not the 60 s usual for a send timeout: a stalled stream pins the WAL at its snapshot,
         * and a stranger's few stalled streams, each cut only after 60 s and opened again, overlapped
         * so that the WAL could not restart: 737 MB in the soak's ten attacked minutes, and a minute
         * without checkpoint progress (test/bench/README.md, Soak). A subscriber cut short retries.
         */
        stallTimeoutMs: z.number().int().positive().default(20_000),
        /**
         * A streamed response is ended this long after it began however steadily it is read, its
         * read snapshot closed: a reader taking just enough every half stall timeout would
         * otherwise hold back WAL checkpoints for ever. An hour carries the largest response (a
         * 10,000,000-entry blocklist, about 200 MB) at half a megabit a second, and bounds what a
         * held snapshot keeps in the WAL to an hour of writes.
         */
        streamMaxMs: z.number().int().positive().default(3_600_000),
        /** Streamed responses (batch pages, blocklist, change snapshot, decision stream) open at once per subscriber key, or client address (IPv6: /64)… */
        streamsPerClient: z.number().int().positive().default(8),
        /** … and in all; beyond, 429 TOO_MANY_STREAMS or 503 SERVER_BUSY with Retry-After. */
        streamsTotal: z.number().int().positive().default(64),
        /** Time a client has to send its request headers, and its whole request (node's headersTimeout, requestTimeout). */
        headersTimeoutMs: z.number().int().positive().default(30_000),
        requestTimeoutMs: z.number().int().positive().default(300_000),
        /** Open HTTP connections at most; further ones are refused by the socket server. */
        maxConnections: z.number().int().positive().default(4096),
        /** Wrong operator tokens one client address (IPv6: /64) may send a minute before 429 (addresses counted: subscribers.failedAuthClients). */
        operatorFailedAuthPerMinute: z.number().int().positive().default(10),
        /** One pino line per HTTP request at info level (method, route template, status, ms, subscriber name, client); false for none (src/serve/access-log.ts). */
        accessLog: z.boolean().default(true),
        /** `GET /lookup/{ip}` pages and `POST /v1/removal-requests` one client address (IPv6: /64) may ask for a minute before 429. */
        publicLookupsPerMinute: z.number().int().positive().default(30),
      })
      .strict()
      .prefault({}),
    subscribers: z
      .object({
        /** Serve the blocklist, change stream and lookups without an API key. */
        public: z.boolean().default(false),
        /** Requests per minute one subscriber key may make. */
        rateLimitPerMinute: z.number().int().positive().default(120),
        /** Wrong API keys one client address (an IPv6 client's /64) may send a minute before 429. */
        failedAuthPerMinute: z.number().int().positive().default(10),
        /** Most client addresses whose wrong keys are counted at once (bounds that table's memory). */
        failedAuthClients: z.number().int().positive().default(10_000),
        /** How long the change log is kept; an older cursor gets 410. */
        changesRetentionDays: z.number().positive().default(7),
        /** Threads that render `GET /v1/blocklist`, off the thread answering DNS (src/serve/blocklist-threads.ts). */
        exportThreads: z.number().int().min(1).max(16).default(2),
      })
      .strict()
      .prefault({}),
    dnsbl: z
      .object({
        /** UDP and TCP port of the DNSBL; null turns it off. */
        port: z.number().int().min(0).max(65535).nullable().default(null),
        host: z.string().min(1).default('127.0.0.1'),
        zone: z.string().regex(/^([a-z0-9-]+\.)*[a-z0-9-]+$/i, 'must be a DNS name like bl.example.net').default('bl.spamx.invalid'),
        ttl: z.number().int().min(0).max(86_400).default(300),
        /** A TCP connection with no query answered for this long is closed (RFC 7766 §6.2.3). */
        tcpIdleTimeoutMs: z.number().int().min(100).default(10_000),
        /** A TCP connection is closed this long after it opened, however busy (RFC 7766 §6.2.4). */
        tcpMaxLifetimeMs: z.number().int().min(100).default(120_000),
        /** Reply bytes queued for one TCP client before its queries stop being read. */
        tcpMaxQueuedBytes: z.number().int().min(1024).max(16 << 20).default(64 * 1024),
        /** Open TCP connections; at the cap a new one closes the one idle the longest. */
        tcpMaxConnections: z.number().int().min(1).default(512),
        /**
         * Zone transfers (AXFR RFC 5936, IXFR RFC 1995) to DNS secondaries: allowed to clients in
         * `allow` (CIDRs) or to requests signed with the `tsig` key (RFC 8945); refused otherwise.
         */
        transfer: z
          .object({
            allow: z.array(z.string().min(1)).default([]),
            tsig: z
              .object({
                name: z.string().regex(/^([a-z0-9-_]+\.)*[a-z0-9-_]+\.?$/i, 'must be a key name like transfer-key'),
                algorithm: z.literal('hmac-sha256'),
                secret: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'must be base64 (make one with: openssl rand -base64 32)'),
              })
              .strict()
              .optional(),
          })
          .strict()
          .prefault({}),
        /** Secondaries told of every zone change by NOTIFY (RFC 1996), as "host:port". */
        notify: z.array(z.string().regex(/^(\[[0-9a-f:.]+\]|[^:\s]+):\d{1,5}$/i, 'must be "host:port", like 127.0.0.1:53')).default([]),
      })
      .strict()
      .prefault({}),
    /**
     * Who may download batches (PROTOCOL "Partners only: signed federation requests"):
     * `partners` serves `GET /v1/feeds/{p}/batches…` only to requests signed by a pinned peer's
     * key; `public` serves them to anyone. `spamx init` writes `partners`; a config.json without
     * the member (a node made before it existed) stays `public`, as it was.
     */
    federation: z
      .object({
        access: z.enum(['partners', 'public']).default('public'),
        /**
         * Other URLs partners reach this node at (a second host name, a proxy that strips a path
         * prefix): a signed request's target URI may start with any of them, or with `publicUrl`.
         */
        urls: z.array(z.url()).default([]),
      })
      .strict()
      .prefault({}),
    transparency: z
      .object({
        /** Checkpoint origin line and note key name; `spamx/<id>` when not set. */
        origin: z.string().regex(/^[^\s+]+$/, 'must be a key name: no spaces, no "+"').optional(),
        /** How many witnesses (partners and this node) must cosign a checkpoint for it to count. */
        witnessQuorum: z.number().int().min(1).default(1),
        /** A feed whose newest witnessed checkpoint is older than this is flagged stale. */
        maxWitnessAgeMinutes: z.number().positive().default(24 * 60),
      })
      .strict()
      .prefault({}),
    /**
     * Where addresses are registered (PROTOCOL "Additions: origins"; src/config/origin-files.ts).
     * Paths are files or directories, relative to the node's directory unless absolute.
     */
    origins: z
      .object({
        /**
         * RIR delegated-extended statistics files, or directories of them (`spamx origins import`
         * installs a checked set into the default one): country and registry come from them. With
         * none found, country comes from the pinned @ip-location-db/asn-country package.
         */
        delegated: z.array(z.string().min(1)).default(['origins/delegated']),
        /** ASN CSV files (the @ip-location-db/asn shapes), or directories of them; empty: that package. */
        asn: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .prefault({}),
    /** The daily report mailed to each scoped subscriber with a contact (src/serve/mail/mail-reports.ts). */
    mail: z
      .object({
        /** The relay reports are handed to; null (the default) sends nothing. */
        smtp: z
          .object({
            host: z.string().min(1),
            port: z.number().int().min(1).max(65535).default(25),
            /** TLS from the first byte (port 465); false still upgrades with STARTTLS when the relay offers it. */
            secure: z.boolean().default(false),
            user: z.string().min(1).optional(),
            pass: z.string().optional(),
            /** Never STARTTLS, even when offered (a relay on the same host). */
            ignoreTLS: z.boolean().optional(),
          })
          .strict()
          .nullable()
          .default(null),
        /** The sender; by default spamx@ the public URL's host name, or spamx@<id>.invalid when that is an address. */
        from: z.string().regex(/^[^\s@<>]+@[^\s@<>]+$|^[^<>]*<[^\s@<>]+@[^\s@<>]+>$/, 'must be an address, or "Name <address>"').optional(),
        /**
         * When the previous UTC day's reports go out (node-cron; six fields allow seconds). Read
         * in UTC: node-cron would use the node's local time zone unless given `timezone: 'UTC'`.
         */
        schedule: cronExpression.default('15 0 * * *'),
        /** Sends of one report before it is given up; failed ones are retried after retryBaseMs, doubling each time. */
        maxAttempts: z.number().int().min(1).max(50).default(8),
        retryBaseMs: z.number().int().positive().default(60_000),
        /** One send, connection to the relay's last reply, at most this long. */
        timeoutMs: z.number().int().positive().default(30_000),
        /**
         * The centre's own relays, skipped when `spamx report --mail` walks a message's Received
         * fields to its origin (src/core/mail-origin.ts): CIDR prefixes or addresses, and host
         * names (`.example.net` for every name under it). Loopback is always trusted.
         */
        trustedRelays: z
          .array(z.string().min(1).superRefine((v, ctx) => {
            const problem = trustedRelayProblem(v);
            if (problem) ctx.addIssue({ code: 'custom', message: problem });
          }))
          .default([]),
      })
      .strict()
      .prefault({}),
    /** The operator's console at /ui/ (src/serve/ui/). */
    ui: z
      .object({
        /** A console session unused this long ends; the operator logs in again. */
        sessionIdleMinutes: z.number().int().positive().max(7 * 24 * 60).default(12 * 60),
      })
      .strict()
      .prefault({}),
    /** Listed parties' removal requests (PROTOCOL "Additions: console"; src/serve/removal-routes.ts). */
    removals: z
      .object({
        /** Requests one client address (IPv6: /64) may make in any 24 hours. */
        perClientPerDay: z.number().int().positive().default(5),
        /** Open requests one listed address may have at once; the same address and contact again answers the open one. */
        openPerAddress: z.number().int().positive().default(3),
        /** Characters a request's message may hold. */
        maxMessageChars: z.number().int().min(1).max(100_000).default(2000),
      })
      .strict()
      .prefault({}),
    /** `GET /metrics`, Prometheus text format (src/serve/metrics/). */
    metrics: z
      .object({
        /** Serve /metrics without the operator token (for a scraper on a trusted network only: it shows peers, routes and volumes). */
        public: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict();

export type ConfigFile = z.input<typeof ConfigSchema>;
export type NodeConfig = Readonly<z.output<typeof ConfigSchema>> & {
  readonly paths: NodePaths;
  /** Checkpoint origin (C2SP tlog-checkpoint) and the name of the key that signs them. */
  readonly origin: string;
  readonly publicUrl: string;
  readonly allowlistPath: string;
};

/** Reads and validates `DIR/config.json` into one frozen config; errors name the member. */
export function loadConfig(dir: string, overrides: Partial<ConfigFile> = {}): NodeConfig {
  const paths = nodePaths(resolve(dir));
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(paths.config, 'utf8'));
  } catch (err) {
    throw new SpamxError('CONFIG_INVALID', `cannot read ${paths.config}: ${(err as Error).message}`);
  }
  return parseConfig({ ...(raw as object), ...overrides }, paths);
}

export function parseConfig(raw: unknown, paths: NodePaths): NodeConfig {
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new SpamxError('CONFIG_INVALID', `${paths.config}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  const c = parsed.data;
  const allowlistPath = isAbsolute(c.policy.allowlistFile) ? c.policy.allowlistFile : resolve(paths.dir, c.policy.allowlistFile);
  const publicUrl = (c.publicUrl ?? `${c.tls ? 'https' : 'http'}://${c.host.includes(':') ? `[${c.host}]` : c.host}:${c.port}`).replace(/\/+$/, '');
  return Object.freeze({ ...c, paths, publicUrl, allowlistPath, origin: c.transparency.origin ?? `spamx/${c.id}` });
}
