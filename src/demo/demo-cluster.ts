import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { CENTRE_ID_RE } from '../core/batch.js';
import { NodeApi } from './demo-api.js';

// Through the package root, so the path holds whether this module runs from src/ or .build/.
const BIN = fileURLToPath(new URL('../../src/cli/bin.mjs', import.meta.url));

const CentreSchema = z.object({ id: z.string().regex(CENTRE_ID_RE), name: z.string().min(1), country: z.string().regex(/^[A-Z]{2}$/) }).strict();
export type Centre = z.output<typeof CentreSchema>;

/** The demo centres: one `{"id","name","country"}` file each in the repository's `peers/`. */
export function readCentres(dir: URL): Centre[] {
  const names = readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
  return names.map((n) => {
    const parsed = CentreSchema.safeParse(JSON.parse(readFileSync(new URL(n, dir), 'utf8')));
    if (!parsed.success) throw new Error(`peers/${n}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    return parsed.data;
  });
}

/** Free loopback ports, found by listening on port 0; all held open until each is known, so none repeats. */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** Runs one `spamx` command as a child process; its stdout, or an error carrying its stderr. */
function spamx(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`spamx ${args.join(' ')} exited ${code}: ${err.trim()}`))));
  });
}

export interface DemoNode {
  readonly centre: Centre;
  readonly dir: string;
  readonly url: string;
  readonly log: string;
  child?: ChildProcess;
  api?: NodeApi;
}

/**
 * Four real nodes on this machine: each initialised, pinned to every other and served by the
 * `spamx` CLI in its own process, exactly as a centre would run it.
 */
export class DemoCluster {
  private stopping = false;

  private constructor(readonly root: string, readonly nodes: readonly DemoNode[]) {}

  /** `spamx init` for each centre, then `spamx descriptor` / `spamx peer add` between every pair. */
  static async create(root: string, centres: readonly Centre[], schedule: string): Promise<DemoCluster> {
    const ports = await freePorts(centres.length);
    const nodes = centres.map((centre, i): DemoNode => {
      const dir = join(root, centre.id);
      return { centre, dir, url: `http://127.0.0.1:${ports[i]}`, log: join(dir, 'serve.log') };
    });
    await Promise.all(nodes.map((n, i) =>
      spamx(['init', '--data', n.dir, '--id', n.centre.id, '--name', n.centre.name, '--country', n.centre.country,
        '--port', String(ports[i]), '--publish-schedule', schedule, '--public']),
    ));
    mkdirSync(join(root, 'descriptors'));
    const files = await Promise.all(nodes.map(async (n) => {
      const file = join(root, 'descriptors', `${n.centre.id}.json`);
      writeFileSync(file, await spamx(['descriptor', '--data', n.dir, '--url', n.url]));
      return file;
    }));
    // One lane per node: a node's own peer files are written one after another.
    await Promise.all(nodes.map(async (n) => {
      for (const [j, file] of files.entries()) {
        if (nodes[j] !== n) await spamx(['peer', 'add', '--data', n.dir, '--file', file, '--schedule', schedule]);
      }
    }));
    return new DemoCluster(root, nodes);
  }

  /**
   * `spamx serve` for every node, output to DIR/<id>/serve.log, and waits until each answers.
   * `onExit` hears of a node that ends while the cluster is not being stopped.
   */
  async start(signal: AbortSignal, onExit: (node: DemoNode, code: number | null, sig: string | null) => void): Promise<void> {
    for (const node of this.nodes) {
      const fd = openSync(node.log, 'a');
      const child = spawn(process.execPath, [BIN, 'serve', '--data', node.dir], { stdio: ['ignore', fd, fd] });
      closeSync(fd);
      node.child = child;
      node.api = new NodeApi(node.url, readFileSync(join(node.dir, 'operator.token'), 'utf8').trim(), node.centre.id, signal);
      child.once('exit', (code, sig) => {
        // A Ctrl-C in the terminal reaches the children too; give the demo's own handler a moment.
        setTimeout(() => this.stopping || onExit(node, code, sig), 300);
      });
    }
    await Promise.all(this.nodes.map((n) => waitUntilServing(n, signal)));
  }

  /** Marks every exit from now on as expected. */
  beginStop(): void {
    this.stopping = true;
  }

  /** SIGTERM to every node still running, then waits for all of them (SIGKILL after 15 s). */
  async stop(): Promise<void> {
    this.beginStop();
    await Promise.all(this.nodes.map(async ({ child }) => {
      if (!child || hasExited(child)) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }));
  }

  /** Last resort on process exit: no node outlives the demo. */
  killAll(): void {
    for (const { child } of this.nodes) if (child && !hasExited(child)) child.kill('SIGTERM');
  }
}

async function waitUntilServing(node: DemoNode, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (!node.child || hasExited(node.child)) throw new Error(`${node.centre.id} exited while starting:\n${logTail(node)}`);
    try {
      if ((await fetch(`${node.url}/.well-known/spamx`, { signal: AbortSignal.any([signal, AbortSignal.timeout(1000)]) })).ok) return;
    } catch {
      signal.throwIfAborted();
    }
    await sleep(150, undefined, { signal });
  }
  throw new Error(`${node.centre.id} did not answer at ${node.url} within 30 s:\n${logTail(node)}`);
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** The last lines a node logged, for when it fails. */
export function logTail(node: DemoNode, lines = 20): string {
  try {
    return readFileSync(node.log, 'utf8').trimEnd().split('\n').slice(-lines).map((l) => `    ${l}`).join('\n');
  } catch {
    return '    (no log)';
  }
}
