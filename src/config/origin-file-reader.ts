import type { Hash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { SpamxError } from '../core/errors.js';

/** Bytes read at a time: a few syscalls per file, and memory that does not grow with the file. */
const CHUNK = 4 << 20;
/** A line longer than this is not origin data; refused rather than buffered. */
const MAX_LINE = 64 << 10;

/** A parser fed whole lines: bytes[from, to) ends just past a line feed, or at the end of the file. */
export type LineFeed = (bytes: Buffer, from: number, to: number) => void;

/** The read buffer one load shares between its files. */
export interface ReadBuffer {
  bytes: Buffer;
}

export function readBuffer(): ReadBuffer {
  return { bytes: Buffer.allocUnsafe(CHUNK) };
}

/**
 * Reads a file a chunk at a time and hands `feed` whole lines, updating `hashes` with exactly
 * the bytes it read: the SHA-256 names the data that was parsed, even should the file change
 * meanwhile. A 21 MB file never sits in memory whole. Returns the file's size.
 */
export function readLines(path: string, feed: LineFeed, hashes: readonly Hash[], buffer: ReadBuffer = readBuffer()): number {
  const fd = openSync(path, 'r');
  let size = 0;
  try {
    let buf = buffer.bytes;
    let have = 0;
    for (;;) {
      if (have === buf.length) {
        // A chunk with no line feed in it: room for one long line, once.
        if (have >= CHUNK + MAX_LINE) throw new SpamxError('ORIGINS_INVALID', `${path}: a line longer than ${MAX_LINE} bytes`);
        const bigger = Buffer.allocUnsafe(buf.length + MAX_LINE);
        buf.copy(bigger, 0, 0, have);
        buf = bigger;
      }
      const n = readSync(fd, buf, have, buf.length - have, null);
      if (n === 0) break;
      const read = buf.subarray(have, have + n);
      for (const h of hashes) h.update(read);
      size += n;
      const end = have + n;
      // The bytes before `have` hold no line feed: they are the tail of the last chunk's last line.
      const lastLf = buf.lastIndexOf(0x0a, end - 1);
      if (lastLf < have) {
        have = end;
        continue;
      }
      feed(buf, 0, lastLf + 1);
      buf.copy(buf, 0, lastLf + 1, end);
      have = end - lastLf - 1;
    }
    if (have > 0) feed(buf, 0, have);
  } finally {
    closeSync(fd);
  }
  return size;
}
