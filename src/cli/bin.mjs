#!/usr/bin/env node
// The `spamx` command: the compiled build when it is current (compiled.mjs), else the
// TypeScript sources through tsx's loader, so an edited checkout never runs stale code.
import { setFlagsFromString } from 'node:v8';
import { freshBuild } from './compiled.mjs';

// `spamx report` and `spamx publish` keep V8's young generation at its initial size. V8 doubles
// it (to 16 MB a semi-space) whenever many objects survive a scavenge, as modules loading and a
// report's rows do, and gives it back only when idle, which a one-shot command never is: a
// publish of 500,000 lines peaked some 35 MB higher with it grown (test/bench/README.md
// "Reports of 500,000 lines"). Set before anything is loaded; the growth factor is read at
// every growth, while --max-semi-space-size is read only when the heap is made.
if (process.argv[2] === 'report' || process.argv[2] === 'publish') setFlagsFromString('--semi-space-growth-factor=1');

const compiled = freshBuild();
let main;
if (compiled) ({ main } = await import(compiled));
else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('./main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
