import { closeSync, fstatSync, fsyncSync, futimesSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { rbldnsd } from '../serve/formats/rbldnsd.js';
import type { BlocklistMeta } from '../serve/formats/format.js';

/** The files a mirror keeps in its directory (PROTOCOL "Additions: zone distribution"). */
export const V4_FILE = 'spamx.v4';
export const V6_FILE = 'spamx.v6';

/** What the node's rbldnsd header says, which the mirror writes again in its own files. */
export interface NodeMeta {
  readonly node: string;
  readonly sources: readonly string[];
  readonly lookupUrl: string;
  readonly dnsblTtl: number;
}

/**
 * The node's own values from the head of an rbldnsd file it rendered (`format=rbldnsd`) or that
 * a mirror wrote: the mirror renders its files with the same code (serve/formats/rbldnsd.ts), so
 * they equal the node's for the same set. Undefined when a line it needs is missing.
 */
export function parseRbldnsdHead(text: string): NodeMeta | undefined {
  const node = /^# spamx blocklist from (\S+) as rbldnsd /m.exec(text)?.[1];
  const sources = /^# sources:(.*)$/m.exec(text)?.[1];
  const ttl = /^\$TTL (\d+)$/m.exec(text)?.[1];
  const lookupUrl = /^:127\.0\.0\.2:Listed by spamx, see (.*)\$$/m.exec(text)?.[1];
  if (node === undefined || sources === undefined || ttl === undefined || lookupUrl === undefined) return undefined;
  return { node, sources: sources.split(' ').filter((s) => s !== ''), lookupUrl, dnsblTtl: Number(ttl) };
}

/** The RFC 5782 §5 test points every file holds besides the list (serve/formats/rbldnsd.ts). */
const TEST_POINTS = new Set(['127.0.0.2', '::ffff:7f00:2']);

/** The listed pieces of an rbldnsd file, as canonical prefixes (`61.4.12.7` back to `61.4.12.7/32`). */
export function* rbldnsdEntries(text: string): Generator<string> {
  let at = 0;
  while (at < text.length) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    const line = text.slice(at, end);
    at = end + 1;
    const c = line.charCodeAt(0);
    // Comments (#), directives ($), the A/TXT template (:), blank lines.
    if (line === '' || c === 0x23 || c === 0x24 || c === 0x3a || TEST_POINTS.has(line)) continue;
    yield line.includes('/') ? line : `${line}/${line.includes(':') ? 128 : 32}`;
  }
}

/** The text of one family's file for these rows (in export order), as the node's `format=rbldnsd` writes it. */
export function renderRbldnsd(family: 4 | 6, rows: Iterable<{ readonly prefix: string }>, meta: NodeMeta, asOf: number): Generator<string> {
  const full: BlocklistMeta = { ...meta, asOf, count: 0, aggregated: false, family };
  return rbldnsd.render(rows, full);
}

/** Prefix texts as rows. */
export function* prefixRows(prefixes: Iterable<string>): Generator<{ readonly prefix: string }> {
  for (const prefix of prefixes) yield { prefix };
}

/** Bytes gathered before a write(2): a million short lines are a few hundred writes, not a thousand. */
const WRITE_BUFFER = 1 << 20;

/**
 * Writes `name` in `dir` whole or not at all: a temporary file in the same directory, fsync, then
 * rename(2) over the old one, so rbldnsd never reads half a file (it reloads a file when its
 * mtime changes). rbldnsd compares mtimes in whole seconds, so two versions written within one
 * second would look the same and the second would not be loaded until the next change: the new
 * file's mtime is set past the old one's when the clock has not moved a second on. The file is
 * world-readable: rbldnsd reads it as its own unprivileged user.
 */
export function writeFileAtomic(dir: string, name: string, chunks: Iterable<string>): number {
  const path = join(dir, name);
  const temp = join(dir, `.${name}.${process.pid}.tmp`);
  let previous: number | undefined;
  try {
    previous = Math.floor(statSync(path).mtimeMs / 1000);
  } catch {
    previous = undefined;
  }
  const fd = openSync(temp, 'w', 0o644);
  let bytes = 0;
  try {
    let buffer = '';
    for (const chunk of chunks) {
      buffer += chunk;
      if (buffer.length >= WRITE_BUFFER) {
        bytes += writeSync(fd, buffer);
        buffer = '';
      }
    }
    if (buffer !== '') bytes += writeSync(fd, buffer);
    const now = Math.floor(fstatSync(fd).mtimeMs / 1000);
    if (previous !== undefined && now <= previous) futimesSync(fd, previous + 1, previous + 1);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(temp);
    throw err;
  }
  closeSync(fd);
  renameSync(temp, path);
  // The rename itself is durable once the directory is synced.
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
  return bytes;
}

/** A file's text, or undefined when it is not there. */
export function readIfThere(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
