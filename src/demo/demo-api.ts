import type { StatusReport } from '../store/status-report.js';

/** What `POST /v1/reports` and `POST /v1/delist` answer. */
export interface ReportAnswer {
  readonly accepted: number;
  readonly refused: readonly { readonly line: number; readonly text: string; readonly code: string; readonly reason: string }[];
}

const TIMEOUT_MS = 10_000;

/**
 * The demo's client for one running node: only the public and operator HTTP API, as any
 * centre's own tooling would use it.
 */
export class NodeApi {
  /** Entries per batch of the node's own feed, counted as the demo reads them. */
  private readonly batchEntries: number[] = [];

  constructor(
    readonly url: string,
    private readonly token: string,
    private readonly publisher: string,
    private readonly signal: AbortSignal,
  ) {}

  report(text: string): Promise<ReportAnswer> {
    return this.call('POST', '/v1/reports', { 'content-type': 'text/plain' }, text);
  }

  delist(prefixes: readonly string[], reason: string): Promise<ReportAnswer> {
    return this.call('POST', '/v1/delist', { 'content-type': 'application/json' }, JSON.stringify({ prefixes, reason }));
  }

  publish(): Promise<{ batches: { seq: number; entries: number }[] }> {
    return this.call('POST', '/v1/publish');
  }

  status(): Promise<StatusReport> {
    return this.call('GET', '/v1/status');
  }

  /** The merged list as `format=txt`, without its `#` header lines. */
  async blocklist(): Promise<string> {
    const text = await (await this.fetch('/v1/blocklist?format=txt', { method: 'GET' })).text();
    return text
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'))
      .join('\n');
  }

  /** How many entries the node's own feed holds, reading only the batches not counted yet. */
  async publishedEntries(): Promise<number> {
    for (;;) {
      const path = `/v1/feeds/${this.publisher}/batches?after=${this.batchEntries.length}&limit=100`;
      // With the operator token: a new node serves its batches to pinned partners only.
      const page = (await (await this.fetch(path, { method: 'GET', headers: { authorization: `Bearer ${this.token}` } })).json()) as { batches: { seq: number; jws: string }[]; next: number | null };
      for (const { seq, jws } of page.batches) {
        const payload = JSON.parse(Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString('utf8')) as { entries: unknown[] };
        this.batchEntries[seq - 1] = payload.entries.length;
      }
      if (page.next === null || page.batches.length === 0) break;
    }
    return this.batchEntries.reduce((sum, n) => sum + n, 0);
  }

  private async call<T>(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<T> {
    const res = await this.fetch(path, { method, headers: { authorization: `Bearer ${this.token}`, ...headers }, ...(body !== undefined ? { body } : {}) });
    return (await res.json()) as T;
  }

  private async fetch(path: string, init: RequestInit): Promise<Response> {
    const res = await fetch(`${this.url}${path}`, { ...init, signal: AbortSignal.any([this.signal, AbortSignal.timeout(TIMEOUT_MS)]) });
    // 422 is an answer too: every line of a report was refused, and the body says why.
    if (!res.ok && res.status !== 422) throw new Error(`${init.method} ${this.url}${path}: HTTP ${res.status} ${await res.text()}`);
    return res;
  }
}
