import type { StatusReport } from '../store/status-report.js';
import type { DemoNode } from './demo-cluster.js';

/** One node as the demo sees it at one moment, through its HTTP API. */
export interface NodeView {
  readonly id: string;
  readonly status: StatusReport;
  /** Entries in the node's own published batches. */
  readonly published: number;
  /** The merged list (`/v1/blocklist?format=txt` without its header). */
  readonly list: string;
}

const NUMBER_WORDS = ['no', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];
export const countWord = (n: number): string => NUMBER_WORDS[n] ?? String(n);

export async function observe(nodes: readonly DemoNode[]): Promise<NodeView[]> {
  return Promise.all(
    nodes.map(async (n) => {
      const api = n.api!;
      const [status, published, list] = await Promise.all([api.status(), api.publishedEntries(), api.blocklist()]);
      return { id: n.centre.id, status, published, list };
    }),
  );
}

export function listsEqual(views: readonly NodeView[]): boolean {
  return views.every((v) => v.list === views[0]?.list);
}

const lineCount = (list: string): number => (list === '' ? 0 : list.split('\n').length);

/** True when nothing is left to move: no report queued, and every node holds each partner's whole feed. */
export function settled(views: readonly NodeView[]): boolean {
  const feedSize = new Map(views.map((v) => [v.id, v.status.feed.size]));
  return views.every((v) => v.status.feed.queuedReports === 0 && v.status.peers.every((p) => p.seq === feedSize.get(p.id)));
}

/** The compact progress table: own feed, published entries, merged list, healthy pulls. */
export function renderTable(views: readonly NodeView[], elapsedMs: number): string {
  const width = Math.max(8, ...views.map((v) => v.id.length));
  const row = (cells: readonly (string | number)[]) =>
    `  ${String(cells[0]).padEnd(width)}${cells.slice(1).map((c) => String(c).padStart(10)).join('')}`;
  const lines = [
    `t+${Math.round(elapsedMs / 1000)}s`,
    row(['centre', 'batches', 'published', 'merged', 'pulls ok']),
    ...views.map((v) => {
      const ok = v.status.peers.filter((p) => p.lastSuccessAt !== null && p.lastError === null).length;
      return row([v.id, v.status.feed.size, v.published, v.status.store.listedPrefixes, `${ok}/${v.status.peers.length}`]);
    }),
  ];
  const sizes = views.map((v) => lineCount(v.list));
  lines.push(
    listsEqual(views)
      ? `  merged lists: all ${countWord(views.length)} identical (${sizes[0] ?? 0} prefixes)`
      : `  merged lists: differ (${views.map((v, i) => `${v.id} ${sizes[i]}`).join(', ')})`,
  );
  return lines.join('\n');
}

/** The refusals each node recorded, counted by code: local report lines and partners' entries apart. */
export function refusalSummary(views: readonly NodeView[]): string {
  return views
    .map((v) => {
      const { total, byPublisher } = v.status.store.refusals;
      const codes = (counts: Record<string, number> | undefined) =>
        counts ? Object.entries(counts).map(([code, n]) => `${code}=${n}`).join(' ') : 'none';
      const fromPartners = Object.keys(byPublisher).filter((p) => p !== v.id);
      return (
        `  ${v.id}: ${total} refused — own reports: ${codes(byPublisher[v.id])}` +
        `; partners' batches: ${fromPartners.length ? fromPartners.map((p) => `${p} ${codes(byPublisher[p])}`).join(', ') : 'none'}`
      );
    })
    .join('\n');
}

/** How the agreed list differs from the one the demo's data should produce (empty when it matches). */
export function differences(list: string, expected: readonly string[]): string[] {
  const got = new Set(list === '' ? [] : list.split('\n'));
  const want = new Set(expected);
  return [
    ...[...want].filter((p) => !got.has(p)).map((p) => `missing ${p}`),
    ...[...got].filter((p) => !want.has(p)).map((p) => `unexpected ${p}`),
  ];
}
