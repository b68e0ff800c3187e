#!/usr/bin/env node
// The `spamx` command. spamx ships as TypeScript and runs through tsx's loader, so there is no
// build step between `npm ci` and `npx spamx`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
