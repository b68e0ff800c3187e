#!/usr/bin/env node
// The `spamx` command: the compiled build when it is current (compiled.mjs), else the
// TypeScript sources through tsx's loader, so an edited checkout never runs stale code.
import { freshBuild } from './compiled.mjs';

const compiled = freshBuild();
let main;
if (compiled) ({ main } = await import(compiled));
else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('./main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
