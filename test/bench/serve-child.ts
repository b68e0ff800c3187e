import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { loadConfig } from '../../src/config/config.js';
import { loadOperatorToken } from '../../src/config/identity.js';
import { BIN } from '../helpers/spawn.js';

/**
 * A `spamx serve` child as an operator runs one: compiled (the bench builds first), with the
 * allocator settings README's systemd unit sets for the daemon (README "4. Run it under systemd"), measured
 * from outside. `started` is when the process was spawned, on this process's clock.
 */
export interface ServeChild {
  readonly child: ChildProcess;
  readonly started: number;
  /** Resolves the URL once the node logs that it serves. */
  readonly serving: Promise<string>;
  /** The node's operator token, for the operator endpoints. */
  readonly token: string;
  /** Its peak resident set size so far (the kernel's VmHWM: print-max-rss.mjs says why not getrusage). */
  peakRssMb(): number;
  /** CPU seconds its main thread and its other threads (reader thread, libuv, V8) have used. */
  cpuSeconds(): { main: number; others: number };
  stop(): Promise<void>;
}

export const NODE_ENV = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' };

export function spawnServeChild(dir: string): ServeChild {
  // Read before the spawn: a node directory without its token must not leave a child behind.
  const token = loadOperatorToken(loadConfig(dir).paths);
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, 'serve', '--data', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...NODE_ENV, SPAMX_LOG_LEVEL: 'info' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const serving = new Promise<string>((resolve, reject) => {
    let pending = '';
    child.stdout!.on('data', (d: Buffer) => {
      pending += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (!line.includes('"spamx node serving"')) continue;
        resolve((JSON.parse(line) as { url: string }).url);
      }
    });
    child.once('exit', (code) => reject(new Error(`spamx serve exited ${code}: ${stderr}`)));
  });
  serving.catch(() => undefined); // awaited by the caller; an early exit must not crash the bench
  return {
    child,
    started,
    serving,
    token,
    peakRssMb: () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]) / 1024,
    cpuSeconds: () => threadCpu(child.pid!),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** utime + stime of each thread of `pid`, from /proc (in clock ticks: 100 a second on Linux). */
function threadCpu(pid: number): { main: number; others: number } {
  let main = 0;
  let others = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    // The fields after the command name, which is in parentheses and may hold spaces.
    const fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
    const seconds = (Number(fields[11]) + Number(fields[12])) / 100;
    if (Number(tid) === pid) main = seconds;
    else others += seconds;
  }
  return { main, others };
}
