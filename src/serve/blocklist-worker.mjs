// Entry point of a blocklist export thread (src/serve/blocklist-threads.ts) run from the
// sources: plain JavaScript so it can register the TypeScript loader for its own thread first.
import { register } from 'tsx/esm/api';

register();
await import('./blocklist-worker.ts');
