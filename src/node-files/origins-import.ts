import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { readLines } from '../config/origin-file-reader.js';
import { dataFilesIn, DEFAULT_DELEGATED } from '../config/origin-files.js';
import { DelegatedParser, delegatedTarget, type DelegatedInfo } from '../core/delegated-extended.js';
import { SpamxError } from '../core/errors.js';
import type { OriginDataset } from '../core/origin.js';

/** One file installed: what it held and its data set id. */
export interface InstalledOriginFile {
  readonly source: string;
  readonly info: DelegatedInfo;
  readonly dataset: OriginDataset;
}

export interface OriginsImport {
  /** `DIR/origins/delegated`, the link the node reads. */
  readonly path: string;
  /** The directory it now points at. */
  readonly installed: string;
  readonly files: readonly InstalledOriginFile[];
}

/**
 * `spamx origins import`: checks every delegated-extended file of `source` (a file or a
 * directory) in full and installs the set as `DIR/origins/delegated`, atomically.
 *
 * Each file is read once: the bytes the parser checks are the bytes hashed and the bytes written
 * into a fresh sibling directory (`origins/delegated.XXXXXX`), each file fsynced, then the
 * directory. Nothing is visible until `origins/delegated`, a symlink, is replaced by rename(2)
 * of a new symlink onto it: a reader sees the old set or the new one, never part of one (the
 * loader resolves the link once per load, src/config/origin-files.ts). A malformed row anywhere
 * throws ORIGINS_INVALID (file, line, why) before the swap, and the new directory is removed:
 * the set in use is untouched. The previous set is kept until the next import, the ones before
 * it removed.
 *
 * When `origins/delegated` is a real directory (made by hand), it is renamed aside first: for
 * that one import there is an instant with no set, in which a reload would fall back to the
 * package data.
 */
export function importDelegated(nodeDir: string, source: string): OriginsImport {
  const sources = sourceFiles(source);
  const link = resolve(nodeDir, DEFAULT_DELEGATED);
  const parent = dirname(link);
  mkdirSync(parent, { recursive: true });
  const fresh = mkdtempSync(`${link}.`);
  let files: InstalledOriginFile[];
  try {
    files = copyChecked(sources, fresh);
    syncPath(fresh);
  } catch (err) {
    rmSync(fresh, { recursive: true, force: true });
    throw err;
  }
  const previous = swapIn(link, fresh);
  syncPath(parent);
  removeOlderSets(link, fresh, previous);
  return { path: link, installed: fresh, files };
}

function sourceFiles(source: string): string[] {
  const stat = statSync(source, { throwIfNoEntry: false });
  if (!stat) throw new SpamxError('ORIGINS_INVALID', `${source}: no such file or directory`);
  const files = stat.isDirectory() ? dataFilesIn(source) : [resolve(source)];
  if (files.length === 0) throw new SpamxError('ORIGINS_INVALID', `${source}: no delegated-extended files in it`);
  return files;
}

/** Parses, hashes and copies each file, the same bytes for all three. */
function copyChecked(sources: readonly string[], into: string): InstalledOriginFile[] {
  const target = delegatedTarget();
  return sources.map((source) => {
    const parser = new DelegatedParser(source, target);
    const hash = createHash('sha256');
    const fd = openSync(join(into, basename(source)), 'wx', 0o644);
    try {
      readLines(
        source,
        (bytes, from, to) => {
          parser.feed(bytes, from, to);
          for (let at = from; at < to; ) at += writeSync(fd, bytes, at, to - at);
        },
        [hash],
      );
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const info = parser.finish();
    return { source, info, dataset: { name: basename(source), date: info.date, sha256: hash.digest('hex') } };
  });
}

/** Points `link` at `fresh` by renaming a new symlink onto it; returns the directory it pointed at before. */
function swapIn(link: string, fresh: string): string | null {
  const current = lstatSync(link, { throwIfNoEntry: false });
  let previous: string | null = null;
  if (current?.isSymbolicLink()) {
    previous = resolve(dirname(link), readlinkSync(link));
  } else if (current) {
    previous = `${link}.previous-${basename(fresh).slice(basename(link).length + 1)}`;
    renameSync(link, previous);
  }
  const temporary = `${fresh}.link`;
  symlinkSync(basename(fresh), temporary);
  renameSync(temporary, link);
  return previous;
}

/** Removes the sets before the previous one (and links left by an interrupted import). */
function removeOlderSets(link: string, fresh: string, previous: string | null): void {
  const prefix = `${basename(link)}.`;
  for (const name of readdirSync(dirname(link))) {
    const path = join(dirname(link), name);
    if (!name.startsWith(prefix) || path === fresh || path === previous) continue;
    rmSync(path, { recursive: true, force: true });
  }
}

function syncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
