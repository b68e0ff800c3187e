import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait-for.js';

export const BIN = fileURLToPath(new URL('../../src/cli/bin.mjs', import.meta.url));

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `spamx ARGS` as a real child process. */
export function runCli(args: readonly string[], input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Every log line so far (pino JSON). */
  readonly lines: () => Record<string, unknown>[];
  /** Sends SIGTERM and waits for exit; resolves the exit code. */
  stop(): Promise<number | null>;
  kill(): Promise<void>;
}

/** A long-running `spamx` child process with its pino JSON log lines collected as they come. */
export interface LoggedProcess {
  readonly child: ChildProcess;
  /** Every log line so far (a line that is not JSON as `{msg}`). */
  readonly lines: Record<string, unknown>[];
  stderr(): string;
  readonly exited: Promise<number | null>;
  /** Sends SIGTERM and waits for exit; resolves the exit code. */
  stop(): Promise<number | null>;
  kill(): Promise<void>;
}

/** Starts `spamx ARGS` (at debug log level unless `env` says otherwise), collecting its log lines. */
export function spawnLogged(args: readonly string[], options: { nodeArgs?: readonly string[]; env?: Record<string, string> } = {}): LoggedProcess {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SPAMX_LOG_LEVEL: 'debug', ...options.env },
  });
  const lines: Record<string, unknown>[] = [];
  let pending = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    pending += d.toString();
    const parts = pending.split('\n');
    pending = parts.pop()!;
    for (const p of parts) {
      try {
        lines.push(JSON.parse(p) as Record<string, unknown>);
      } catch {
        lines.push({ msg: p });
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    lines,
    stderr: () => stderr,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Starts `spamx serve --data DIR` as a child process and waits until it listens. */
export async function spawnServe(dir: string, extraArgs: readonly string[] = []): Promise<ServeProcess> {
  const proc = spawnLogged(['serve', '--data', dir, ...extraArgs]);
  const { child, lines, kill } = proc;
  let url: string;
  try {
    url = await waitFor(`spamx serve ${dir} to listen`, () => {
      if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}: ${proc.stderr()}`);
      return lines.find((l) => l.msg === 'spamx node serving')?.url as string | undefined;
    });
  } catch (err) {
    // Never listened (or too slowly): the caller has no handle to stop it, so it is stopped here.
    await kill();
    throw err;
  }
  return {
    child,
    url,
    lines: () => lines,
    stop: proc.stop,
    kill,
  };
}
