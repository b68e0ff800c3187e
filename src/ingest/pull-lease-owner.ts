import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/*
 * Who holds a pull lease (store/peer-state-store.ts): `host:pid:starttime:uuid`, so a lease
 * left by a process that is gone can be taken over at once rather than after pull.leaseMs. A
 * pid alone is not enough: a zombie still has its pid, and a pid is reused by a later process
 * (a container restarted with the same pids, a busy host wrapping round). The process's start
 * time (Linux proc(5), /proc/<pid>/stat field 22, in clock ticks since boot) tells the holder
 * from a later process with its pid.
 */

/** This process's lease-holder name for one pull. */
export function leaseOwner(): string {
  return `${hostname()}:${process.pid}:${processStart(process.pid)?.startTime ?? 'unknown'}:${randomUUID()}`;
}

/**
 * Whether a lease holder is a process on this host that no longer runs: no such pid, a zombie,
 * or a process started at another time than the holder. A holder on another host, or one whose
 * process cannot be examined, is taken to be alive (its lease then runs out in time). Holders
 * named `host:pid:uuid` (before start times were recorded) are checked by pid and zombie state.
 */
export function isAbandonedLease(holder: string): boolean {
  const parts = holder.split(':');
  const [host, pidText, third] = parts;
  if (host !== hostname() || !/^\d+$/.test(pidText ?? '')) return false;
  const pid = Number(pidText);
  const recorded = parts.length >= 4 && /^\d+$/.test(third ?? '') ? third : undefined;
  const running = processStart(pid);
  if (running === null) return !pidExists(pid);
  if (running === undefined) return true;
  if (running.state === 'Z' || running.state === 'X') return true;
  return recorded !== undefined && recorded !== running.startTime;
}

/**
 * State and start time of a process from /proc/<pid>/stat; undefined when there is no such
 * process, null when it cannot be read (no procfs: not Linux).
 */
function processStart(pid: number): { state: string; startTime: string } | undefined | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' && procfs() ? undefined : null;
  }
  // Field 2, the command name, is in parentheses and may hold spaces and ')': read after the last one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTime = fields[19]; // field 22: fields[0] is field 3
  return state && startTime && /^\d+$/.test(startTime) ? { state, startTime } : null;
}

function procfs(): boolean {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
