import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dig, v4Name } from './dig.js';
import { waitFor } from './wait-for.js';

export interface RbldnsdDataset {
  /** `ip4set`, `ip6trie`, … */
  readonly type: string;
  readonly data: string;
}

export interface RbldnsdProcess {
  readonly port: number;
  readonly child: ChildProcess;
  /** Sends SIGTERM and waits for the process to exit. */
  stop(): Promise<void>;
}

/** A UDP port free on 127.0.0.1 right now (rbldnsd cannot bind port 0 and report it). */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/**
 * Runs the real rbldnsd(8) in the foreground on a free loopback port, serving `zone` from the
 * datasets written into `dir`, and waits until it answers the RFC 5782 test point. rbldnsd
 * refuses to run as root and reads its files after dropping to its user, so as root it runs as
 * `nobody` and `dir` and the files are made world-readable.
 */
export async function startRbldnsd(dir: string, zone: string, datasets: readonly RbldnsdDataset[]): Promise<RbldnsdProcess> {
  chmodSync(dir, 0o755);
  const specs = datasets.map((d, i) => {
    const file = join(dir, `dataset-${i}.${d.type}`);
    writeFileSync(file, d.data, { mode: 0o644 });
    return `${zone}:${d.type}:${file}`;
  });
  for (let attempt = 0; ; attempt++) {
    const port = await freeUdpPort();
    const user = process.getuid?.() === 0 ? ['-u', 'nobody'] : [];
    const child = spawn('rbldnsd', ['-n', '-f', ...user, '-b', `127.0.0.1/${port}`, ...specs], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    };
    try {
      await waitFor(`rbldnsd on port ${port} to answer`, async () => {
        if (child.exitCode !== null) throw new Error(`rbldnsd exited ${child.exitCode}: ${output}`);
        return (await dig(port, v4Name('127.0.0.2', zone))).status === 'NOERROR';
      });
      return { port, child, stop };
    } catch (err) {
      await stop();
      // Another process may have taken the port between our probe and rbldnsd's bind.
      if (attempt >= 3 || !/Address already in use/.test(output)) throw err;
    }
  }
}
