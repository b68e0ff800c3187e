import { join } from 'node:path';
import { pino } from 'pino';
import type { ConfigFile } from '../../src/config/config.js';
import { initNodeDir } from '../../src/node-files/init-node.js';
import { pinPeer, type PinOptions } from '../../src/node-files/pin-peer.js';
import { parseDescriptor } from '../../src/config/descriptor.js';
import { SpamxNode } from '../../src/daemon.js';

/** Test settings: fast timeouts and backoff so failures show within a test's deadline. */
export const FAST_PULL = {
  connectTimeoutMs: 2_000,
  headersTimeoutMs: 2_000,
  bodyTimeoutMs: 2_000,
  deadlineMs: 10_000,
  backoffBaseMs: 200,
  backoffMaxMs: 1_000,
};

/**
 * A node serving its batches to anyone (`federation.access: "public"`), for tests about something
 * else whose readers are not pinned partners (an anonymous fetch or audit, a one-way pin). A test
 * node is otherwise made as `spamx init` makes it: partners only.
 */
export const PUBLIC_FEEDS = { federation: { access: 'public' } } as const satisfies Partial<ConfigFile>;

export interface TestNodeOptions {
  readonly id: string;
  readonly config?: Partial<ConfigFile>;
  readonly clock?: () => number;
}

/** Creates a node directory under `root` (init as `spamx init` does). */
export async function initTestNode(root: string, options: TestNodeOptions): Promise<string> {
  const dir = join(root, options.id);
  await initNodeDir(dir, {
    id: options.id,
    name: `${options.id} test centre`,
    host: '127.0.0.1',
    port: 0,
    // Schedules far apart: tests drive publish and pull explicitly unless they set their own.
    publish: { schedule: '0 0 1 1 *' },
    pull: { ...FAST_PULL, defaultSchedule: '0 0 1 1 *' },
    // Tests read the blocklist without keys unless they test keys.
    subscribers: { public: true },
    ...options.config,
  });
  return dir;
}

/** A started in-process node on an ephemeral loopback port, logging only errors. */
export async function startTestNode(dir: string, clock?: () => number): Promise<SpamxNode> {
  const node = await SpamxNode.create({
    dataDir: dir,
    ...(clock ? { clock } : {}),
    logger: pino({ level: process.env.SPAMX_TEST_LOG ?? 'silent' }),
    reloadIntervalMs: 200,
  });
  await node.start();
  return node;
}

/** Pins `peer` in `node`'s peers directory, as `spamx peer add` does from its descriptor. */
export async function pinTestPeer(node: SpamxNode, peer: SpamxNode, options: Partial<PinOptions> = {}): Promise<void> {
  await pinPeer(node.config, parseDescriptor(peer.descriptor(), peer.url), { url: peer.url, ...options });
  await node.reload();
}
