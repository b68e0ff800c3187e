import type { ListChange } from './change-stream.js';

/** A logged change with the piece's label at it (core/tlp.ts rank; null in rows from before labels: green). */
export interface LabelledChange extends ListChange {
  readonly tlp: number | null;
}

/**
 * The net effect of a run of changes for a reader who sees only some labels (issue 16 item 2),
 * per prefix key, from its first and last change in the run:
 * - held before: not if the first change `added` it; if it `removed` it, when the reader sees
 *   the label it had (a removal carries the piece's last label); if it `updated` it, the label
 *   before is not in the row: while no label beyond green was ever logged up to the run
 *   (`labelsInUse` false) the piece was held, otherwise it is unknown;
 * - listed after: unless the last change removed it, when the reader sees its label now.
 * Held and not listed after: `removed`; listed after and not held: `added`. A piece whose label
 * the reader may no longer see is thus sent as a removal, and one added under such a label is not
 * sent at all. When the state before is unknown the piece is sent as it is after: `added` again
 * (a re-statement of a piece the reader may hold) or `removed` (of one it may never have held),
 * harmless to a reader that applies `removed` then `added` as set operations. With no label
 * beyond green anywhere this is exactly core/change-stream.ts netChangeRows.
 *
 * `cutClass` tells apart labels the reader sees cut differently (a scoped key sees green cut to
 * its scope, amber cut to its scope and this centre's jurisdiction): a piece held under one and
 * listed under another is sent as removed (its old parts) and added (its new ones), and so is one
 * whose state before is unknown, when the reader has two cuts.
 */
export function labelledNetChanges(
  changes: Iterable<LabelledChange>,
  sees: (tlp: number | null) => boolean,
  labelsInUse: boolean,
  cutClass: (tlp: number | null) => number = () => 0,
): { added: LabelledChange[]; removed: LabelledChange[] } {
  const first = new Map<string, LabelledChange>();
  const last = new Map<string, LabelledChange>();
  for (const c of changes) {
    if (!first.has(c.key)) first.set(c.key, c);
    last.set(c.key, c);
  }
  const added: LabelledChange[] = [];
  const removed: LabelledChange[] = [];
  for (const [key, end] of last) {
    const start = first.get(key)!;
    const held: boolean | undefined = start.op === 'added' ? false : start.op === 'removed' ? sees(start.tlp) : labelsInUse ? undefined : true;
    const after = end.op !== 'removed' && sees(end.tlp);
    if (held === undefined) {
      if (!after || cutClass(0) !== cutClass(2)) removed.push(start);
      if (after) added.push(end);
    } else if (held && !after) removed.push(start);
    else if (!held && after) added.push(end);
    else if (held && after && start.op === 'removed' && cutClass(start.tlp) !== cutClass(end.tlp)) {
      // Held under one cut and listed under another: the old parts go, the new ones come.
      removed.push(start);
      added.push(end);
    }
  }
  return { added, removed };
}
