import { freshBuild } from '../../src/cli/compiled.mjs';
import { loadConfig } from '../../src/config/config.js';
import { parseDescriptor } from '../../src/config/descriptor.js';
import { loadOperatorToken } from '../../src/config/identity.js';
import { SpamxNode } from '../../src/daemon.js';
import { pinPeer } from '../../src/node-files/pin-peer.js';
import { pino } from 'pino';
import { initTestNode, PUBLIC_FEEDS, startTestNode } from '../helpers/nodes.js';
import { waitFor } from '../helpers/wait-for.js';
import { spawnServeChild, type ServeChild } from './serve-child.js';

export const SOAK_ZONE = 'bl.soak';
export const PARTNER = 'cn-isc';
export const MEASURED = 'jp-dekyo';

/** The node under load (a compiled `spamx serve` child) and the partner whose feed it pulls. */
export interface SoakNodes {
  readonly url: string;
  readonly dnsblPort: number;
  readonly pid: number;
  readonly database: string;
  readonly token: string;
  readonly partnerUrl: string;
  readonly partnerToken: string;
  stop(): Promise<void>;
}

/**
 * Both nodes built from the same seeded data for each phase, so the clean and the attacked
 * phase start from identical stores and a fresh process (VmHWM only grows, so a phase must not
 * inherit the other's peak). The partner publishes `partnerListings` in one batch; the measured
 * node publishes `ownListings` in one batch and a small second one (the target of the
 * If-None-Match attack, whose answer is then small), and holds the partner's feed, pulled
 * in-process before its serving process starts, so that pull's peak is not counted.
 */
export async function startSoakNodes(root: string, ownListings: readonly string[], partnerListings: readonly string[]): Promise<SoakNodes> {
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s();
  };
  try {
    const partnerDir = await initTestNode(root, { id: PARTNER, config: PUBLIC_FEEDS });
    await withNode(partnerDir, false, async (node) => {
      node.reportText(partnerListings.join('\n'));
      await node.publish();
    });
    const partner = spawnChecked(partnerDir);
    stops.push(() => partner.stop());
    const partnerUrl = await partner.serving;

    const dir = await initTestNode(root, {
      id: MEASURED,
      config: { dnsbl: { port: 0, zone: SOAK_ZONE }, subscribers: { public: true, rateLimitPerMinute: 1_000_000 } },
    });
    const descriptor = parseDescriptor(await (await fetch(`${partnerUrl}/.well-known/spamx`)).json(), partnerUrl);
    await pinPeer(loadConfig(dir), descriptor, { url: partnerUrl });
    await withNode(dir, true, async (node) => {
      node.reportText(ownListings.join('\n'));
      await node.publish();
      node.reportText(ownListings.slice(0, 100).map(bumpLastOctet).join('\n'));
      await node.publish();
      const pulled = await node.pull(PARTNER);
      if (!pulled?.ok) throw new Error(`setup pull failed: ${JSON.stringify(pulled)}`);
    });

    const measured = spawnChecked(dir);
    stops.push(() => measured.stop());
    let dnsblPort: number | undefined;
    readLines(measured, (line) => {
      if (line.includes('"spamx node serving"')) dnsblPort = (JSON.parse(line) as { dnsblPort?: number }).dnsblPort;
    });
    const url = await measured.serving;
    await waitFor('the measured node to be ready', async () => dnsblPort !== undefined && (await fetch(`${url}/healthz`)).ok, { timeoutMs: 120_000, intervalMs: 50 });
    return {
      url,
      dnsblPort: dnsblPort!,
      pid: measured.child.pid!,
      database: loadConfig(dir).paths.database,
      token: measured.token,
      partnerUrl,
      partnerToken: loadOperatorToken(loadConfig(partnerDir).paths),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A node in this process to fill a store (started when it must pull), then closed. */
async function withNode(dir: string, started: boolean, fn: (node: SpamxNode) => Promise<void>): Promise<void> {
  const node = started ? await startTestNode(dir) : await SpamxNode.create({ dataDir: dir, logger: pino({ level: 'warn' }) });
  try {
    await fn(node);
    node.project();
  } finally {
    await node.destroy();
  }
}

/**
 * src/cli/compiled.mjs runs the sources through tsx when any file under src/ is newer than the
 * build: a phase served that way is about 60 MB larger and not comparable. Say so.
 */
function spawnChecked(dir: string): ServeChild {
  if (!freshBuild()) console.warn('soak: warning: src/ changed since the build; this phase runs spamx from sources (tsx)');
  return spawnServeChild(dir);
}

function readLines(node: ServeChild, onLine: (line: string) => void): void {
  let pending = '';
  node.child.stdout!.on('data', (d: Buffer) => {
    pending += d.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) onLine(line);
  });
}

/** Another address in the same /24 (public, since its /24 is). */
function bumpLastOctet(address: string): string {
  const parts = address.split('.');
  parts[3] = String((Number(parts[3]) + 1) % 256);
  return parts.join('.');
}
