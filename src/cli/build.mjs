// `npm run build`, also run by `npm ci` through `prepare`: see compiled.mjs.
import { existsSync } from 'node:fs';
import { build, TSC } from './compiled.mjs';

if (existsSync(TSC)) build();
else console.warn('spamx: typescript is not installed (production install?); spamx will run from its sources through tsx');
