import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';

/** What one phase's samples add up to. */
export interface MonitorSummary {
  readonly samples: number;
  /** The kernel's VmHWM of the serving process at the end (its peak since it started). */
  readonly peakRssMb: number;
  /** The largest VmRSS sampled, and the last. */
  readonly maxSampledRssMb: number;
  readonly endRssMb: number;
  readonly largestWalMb: number;
  /** WAL frames copied into the database over the phase (sum of nBackfill's advances). */
  readonly framesCheckpointed: number;
  /** Times the WAL was restarted from its start (salt changed): every frame had been copied. */
  readonly walRestarts: number;
  /** Most frames sampled in the WAL and not yet copied into the database. */
  readonly maxUncheckpointedFrames: number;
  /** Longest time with frames waiting while the checkpoint made no progress at all. */
  readonly longestStallSeconds: number;
}

interface WalIndex {
  readonly mxFrame: number;
  readonly nBackfill: number;
  readonly salt: string;
}

/**
 * Samples the serving process every `intervalMs`: RSS from /proc/PID/status, the WAL file's
 * size, and the WAL's progress from the wal-index (`DB-shm`), read from outside without
 * opening a connection: a PRAGMA wal_checkpoint from here would do the checkpoint for the
 * node and hide that it did not. The wal-index layout is SQLite's documented file format
 * ("WAL-mode file format", §2.2 wal-index header): mxFrame at byte 16, the salts at 32, and
 * nBackfill, the frames already copied back into the database, at byte 96; native byte order.
 * A snapshot held open by a reader stops nBackfill below that reader's frame, which is what
 * issue 18's stalled streams and HEAD requests did. The process that runs this must hold no
 * SQLite connection to that database: closing any descriptor of a file drops all of a
 * process's POSIX locks on it, its read locks in the wal-index among them.
 */
export function monitorServe(pid: number, database: string, intervalMs = 1000): { stop(): MonitorSummary } {
  let samples = 0;
  let maxRss = 0;
  let lastRss = 0;
  let largestWal = 0;
  let framesCheckpointed = 0;
  let walRestarts = 0;
  let maxUncheckpointed = 0;
  let longestStall = 0;
  let previous: WalIndex | undefined;
  let progressAt = performance.now();
  const sample = () => {
    samples++;
    try {
      lastRss = statusKb(pid, 'VmRSS') / 1024;
      maxRss = Math.max(maxRss, lastRss);
    } catch {
      // the process has gone: the phase's own checks say why
    }
    largestWal = Math.max(largestWal, fileSize(`${database}-wal`) / 2 ** 20);
    const index = walIndex(`${database}-shm`);
    if (!index) return;
    const now = performance.now();
    const waiting = index.mxFrame - index.nBackfill;
    maxUncheckpointed = Math.max(maxUncheckpointed, waiting);
    if (previous && previous.salt !== index.salt) {
      walRestarts++;
      framesCheckpointed += previous.mxFrame - previous.nBackfill + index.nBackfill;
    } else if (previous) {
      framesCheckpointed += index.nBackfill - previous.nBackfill;
    }
    const progressed = !previous || waiting === 0 || previous.salt !== index.salt || index.nBackfill > previous.nBackfill;
    if (progressed) progressAt = now;
    longestStall = Math.max(longestStall, (now - progressAt) / 1000);
    previous = index;
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      let peak = maxRss;
      try {
        peak = statusKb(pid, 'VmHWM') / 1024;
      } catch {
        // gone: the sampled maximum is the best there is
      }
      return {
        samples,
        peakRssMb: peak,
        maxSampledRssMb: maxRss,
        endRssMb: lastRss,
        largestWalMb: largestWal,
        framesCheckpointed,
        walRestarts,
        maxUncheckpointedFrames: maxUncheckpointed,
        longestStallSeconds: longestStall,
      };
    },
  };
}

function statusKb(pid: number, field: string): number {
  const kb = new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (kb === undefined) throw new Error(`no ${field} for ${pid}`);
  return Number(kb);
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** The wal-index header's first copy, when both copies agree (a writer was not mid-update). */
function walIndex(path: string): WalIndex | undefined {
  const buf = Buffer.alloc(136);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    if (readSync(fd, buf, 0, buf.length, 0) < buf.length) return undefined;
  } finally {
    closeSync(fd);
  }
  if (!buf.subarray(0, 48).equals(buf.subarray(48, 96))) return undefined;
  return { mxFrame: buf.readUInt32LE(16), nBackfill: buf.readUInt32LE(96), salt: buf.subarray(32, 40).toString('hex') };
}
