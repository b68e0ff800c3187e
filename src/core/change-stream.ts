/** One logged change of the effective list. */
export interface ListChange {
  readonly op: 'added' | 'removed' | 'updated';
  readonly key: string;
  readonly prefix: string;
}

/**
 * The net effect of a run of changes, per prefix: a client that was in step before the run and
 * applies `removed` then `added` is in step after it. A prefix added then removed within the run
 * appears in neither list; removed then added (listed before and after) in neither either.
 * `updated` (the sources changed) does not change membership and is left out.
 */
export function netChanges(changes: Iterable<ListChange>): { added: string[]; removed: string[] } {
  const { added, removed } = netChangeRows(changes);
  return { added: added.map((c) => c.prefix), removed: removed.map((c) => c.prefix) };
}

/** netChanges with each change's row kept (its key too: a stream cut by origin reads the range from it). */
export function netChangeRows(changes: Iterable<ListChange>): { added: ListChange[]; removed: ListChange[] } {
  const first = new Map<string, ListChange>();
  const last = new Map<string, ListChange>();
  for (const c of changes) {
    if (c.op === 'updated') continue;
    if (!first.has(c.key)) first.set(c.key, c);
    last.set(c.key, c);
  }
  const added: ListChange[] = [];
  const removed: ListChange[] = [];
  for (const [key, end] of last) {
    const start = first.get(key)!;
    if (start.op === 'added' && end.op === 'added') added.push(end);
    else if (start.op === 'removed' && end.op === 'removed') removed.push(end);
  }
  return { added, removed };
}

/**
 * Cursor text: the store's epoch and the id of the last change the client has seen, and for a
 * stream cut by origin the id of the origin data it was cut with (`epoch.id.origins`).
 */
export function formatCursor(epoch: string, changeId: number, origins?: string): string {
  return origins === undefined ? `${epoch}.${changeId}` : `${epoch}.${changeId}.${origins}`;
}

export function parseCursor(text: string): { epoch: string; changeId: number; origins?: string } | undefined {
  const m = /^([A-Za-z0-9_-]{1,32})\.(\d{1,15})(?:\.([A-Za-z0-9_-]{1,32}))?$/.exec(text);
  if (!m) return undefined;
  return m[3] === undefined ? { epoch: m[1]!, changeId: Number(m[2]) } : { epoch: m[1]!, changeId: Number(m[2]), origins: m[3] };
}
