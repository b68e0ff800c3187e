// Entry point of the feed-reader thread (src/ingest/reader-thread.ts). Plain JavaScript so it
// can register the TypeScript loader for its own thread before loading the reader.
import { register } from 'tsx/esm/api';

register();
await import('./reader-worker.ts');
