// spamx runs as compiled JavaScript from .build/ (see src/tsconfig.json) when that build is
// newer than every file under src/, and through tsx's TypeScript loader otherwise. Compiled, a
// daemon starts about 60 MB smaller and faster: tsx's loader runs a thread of its own and
// keeps every transpiled module in memory. The tsx path stays so that an edited checkout
// never runs stale code. SPAMX_FROM_SOURCES=1 forces the sources.
import { readdirSync, statSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../', import.meta.url));
const BUILD = fileURLToPath(new URL('../../.build/', import.meta.url));
const STAMP = `${BUILD}.built`;
export const TSC = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));

/** The compiled entry point to import, or undefined when there is no build newer than src/. */
export function freshBuild() {
  if (process.env.SPAMX_FROM_SOURCES === '1') return undefined;
  let built;
  try {
    built = statSync(STAMP).mtimeMs;
  } catch {
    return undefined;
  }
  return newestSource(SRC) < built ? new URL('../../.build/cli/main.js', import.meta.url).href : undefined;
}

/** Compiles src/ into .build/ and stamps it; throws (with tsc's output) when compiling fails. */
export function build() {
  rmSync(STAMP, { force: true });
  execFileSync(process.execPath, [TSC, '-p', SRC], { stdio: 'inherit' });
  writeFileSync(STAMP, `${new Date().toISOString()}\n`);
}

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(`${entry.parentPath ?? entry.path}/${entry.name}`).mtimeMs);
  }
  return newest;
}
