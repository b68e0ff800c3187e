import { SpamxError } from '../core/errors.js';
import { parseRbldnsdHead, type NodeMeta } from './rbldnsd-files.js';
import { SnapshotParser } from './snapshot-parser.js';

/** One answer of `GET /v1/blocklist/changes` (PROTOCOL "Subscriber endpoints"). */
export interface ChangesPage {
  readonly cursor: string;
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly more?: boolean;
}

/** How long one request may take: a snapshot of a million pieces is about 20 MB of JSON. */
const REQUEST_TIMEOUT_MS = 120_000;
/** The head of the node's rbldnsd file holds its meta within the first few hundred bytes. */
const HEAD_LIMIT = 64 * 1024;

/**
 * The mirror's side of the subscriber endpoints: the change stream and the head of the node's
 * rbldnsd file, with the subscriber key and a User-Agent naming the mirror (the node shows each
 * key's mirror by it). The key goes only into the X-Api-Key header, never into a URL or a log.
 * Failures are SpamxErrors: UNAUTHORIZED or FORBIDDEN when the node refuses the key (fatal),
 * CURSOR_EXPIRED on 410 (start again from a snapshot), PEER_* for anything that may pass.
 */
export class ChangesClient {
  private readonly base: string;

  constructor(
    url: string,
    private readonly key: string,
    private readonly userAgent: string,
    private readonly signal: AbortSignal,
  ) {
    this.base = url.replace(/\/+$/, '');
  }

  /**
   * The node's whole list, handed to `onPrefixes` a chunk at a time as it streams in; resolves
   * the cursor of that exact snapshot once all of it came.
   */
  async snapshot(onPrefixes: (prefixes: string[]) => void): Promise<string> {
    const res = await this.get('/v1/blocklist/changes');
    const parser = new SnapshotParser(onPrefixes);
    const decoder = new TextDecoder();
    for await (const chunk of res.body! as unknown as AsyncIterable<Uint8Array>) parser.push(decoder.decode(chunk, { stream: true }));
    parser.push(decoder.decode());
    return parser.end();
  }

  /** The net changes since `cursor`; poll again while `more`. */
  async changes(cursor: string): Promise<ChangesPage> {
    const path = `/v1/blocklist/changes?cursor=${encodeURIComponent(cursor)}`;
    const res = await this.get(path);
    let page: ChangesPage;
    try {
      page = (await res.json()) as ChangesPage;
    } catch (err) {
      throw new SpamxError('PEER_BAD_RESPONSE', `${path}: the answer is not JSON (${(err as Error).message})`);
    }
    if (typeof page?.cursor !== 'string' || !Array.isArray(page.added) || !Array.isArray(page.removed)) {
      throw new SpamxError('PEER_BAD_RESPONSE', `${path}: the answer has no cursor, added and removed`);
    }
    return page;
  }

  /**
   * The node's rbldnsd header values (its id, sources, lookup URL, TTL): the head of
   * `format=rbldnsd` read until the A/TXT template line, then the rest of the download cancelled.
   */
  async meta(): Promise<NodeMeta> {
    const path = '/v1/blocklist?format=rbldnsd&family=4';
    const res = await this.get(path);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    try {
      while (!/^:127\.0\.0\.2:.*\n/m.test(text) && text.length < HEAD_LIMIT) {
        const { done, value } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
    } finally {
      await reader.cancel().catch(() => undefined);
    }
    const meta = parseRbldnsdHead(text);
    if (!meta) throw new SpamxError('PEER_BAD_RESPONSE', `${path}: the answer does not start as spamx's rbldnsd format`);
    return meta;
  }

  private async get(path: string): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        headers: { 'x-api-key': this.key, 'user-agent': this.userAgent, accept: 'application/json, text/plain' },
        signal: AbortSignal.any([this.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new SpamxError('PEER_UNREACHABLE', `${this.base}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
    }
    if (res.ok) return res;
    const message = await errorMessage(res);
    if (res.status === 401 || res.status === 403) {
      throw new SpamxError(
        res.status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN',
        `${this.base} refused the subscriber key (${res.status}: ${message}): it was revoked or was never issued by this node; ask the node's operator for a key (spamx subscriber add)`,
      );
    }
    if (res.status === 410) throw new SpamxError('CURSOR_EXPIRED', message);
    if (res.status === 429 || res.status === 503) {
      // RFC 9110 §10.2.3: Retry-After in seconds (the node sends seconds).
      const seconds = Number(res.headers.get('retry-after'));
      throw new SpamxError(res.status === 429 ? 'RATE_LIMITED' : 'SERVER_BUSY', `${this.base}: HTTP ${res.status}: ${message}`, {
        retryAfterMs: Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 3600) * 1000 : 0,
      });
    }
    throw new SpamxError('PEER_HTTP_ERROR', `${this.base}${path.replace(/\?.*/, '')}: HTTP ${res.status}: ${message}`);
  }
}

/** The node's error message (`{"error":{"message"}}`), or the status text. */
async function errorMessage(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { message?: string } };
    if (typeof body.error?.message === 'string') return body.error.message;
  } catch {
    // not JSON
  }
  return text.slice(0, 200) || res.statusText;
}
