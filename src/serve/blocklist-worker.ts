import { parentPort } from 'node:worker_threads';
import { toErrorData } from '../core/errors.js';
import { OriginTable, type SharedOriginTable } from '../core/origin-table.js';
import { openReadOnlyStore, type Store } from '../store/open-store.js';
import { jurisdictionRows } from '../read/jurisdiction.js';
import { computeStats } from '../read/origin-stats.js';
import { openBlocklist, type OpenedBlocklist } from './blocklist-export.js';
import { FORMATS } from './formats/index.js';
import type { ExportReply, ExportRequest } from './blocklist-threads.js';

/**
 * A blocklist export thread: renders `GET /v1/blocklist` on read-only connections of its own,
 * a chunk of about 64 KiB each time the main thread asks for one, and runs the other long reads
 * of the list (statistics, the jurisdiction list) whole. A filter SQLite must scan the
 * whole list for (publishers no row names) costs seconds here, not on the thread that answers
 * DNS, lookups and `/healthz`. Exports interleave by chunk.
 */
const port = parentPort!;
const stores = new Map<string, Store>();
const open = new Map<number, OpenedBlocklist>();
const encoder = new TextEncoder();

const CHUNK = 65_536;

/** The origin tables last sent, by digest: the typed arrays are the main thread's, shared. */
let origins: OriginTable | undefined;

function originTable(shared: SharedOriginTable): OriginTable {
  if (origins?.digest !== shared.digest) origins = OriginTable.fromShared(shared);
  return origins;
}

function reply(message: ExportReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

function store(path: string): Store {
  let s = stores.get(path);
  if (!s) stores.set(path, (s = openReadOnlyStore(path)));
  return s;
}

function finish(id: number): void {
  const entry = open.get(id);
  open.delete(id);
  if (!entry) return;
  try {
    entry.chunks.return(undefined);
  } finally {
    entry.close();
  }
}

port.on('message', (request: ExportRequest) => {
  const { id } = request;
  try {
    if (request.op === 'task') {
      const { task } = request;
      const table = originTable(request.origins);
      const db = store(request.database);
      const value = task.kind === 'stats' ? computeStats(db, table, task.query, task.now) : jurisdictionRows(db, table, task.query);
      reply({ id, op: 'result', value });
    } else if (request.op === 'open') {
      const format = FORMATS.get(request.query.format)!;
      const list = openBlocklist(store(request.database), { ...request.query, format }, request.node, () => originTable(request.origins));
      open.set(id, list);
      reply({ id, op: 'head', etag: list.etag, contentType: list.contentType });
    } else if (request.op === 'next') {
      const entry = open.get(id);
      if (!entry) return;
      let text = '';
      while (text.length < CHUNK) {
        const next = entry.chunks.next();
        if (next.done) break;
        text += next.value;
      }
      if (text === '') {
        finish(id);
        reply({ id, op: 'end' });
        return;
      }
      const bytes = encoder.encode(text);
      reply({ id, op: 'chunk', bytes }, [bytes.buffer as ArrayBuffer]);
    } else {
      finish(id);
    }
  } catch (err) {
    try {
      finish(id);
    } catch {
      // The error being reported is the one that matters.
    }
    reply({ id, op: 'error', error: toErrorData(err) });
  }
});
