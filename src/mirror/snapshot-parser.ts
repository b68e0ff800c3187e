import { SpamxError } from '../core/errors.js';

/** The snapshot's head as the node writes it (serve/blocklist-routes.ts `snapshot`). */
const HEAD_RE = /^\s*\{"cursor":"([A-Za-z0-9_.-]{1,100})","added":\[/;
const OPENING = '{"cursor":"';
const TAIL = /^\],"removed":\[\]\}\s*$/;
/** A head longer than this is not the node's. */
const HEAD_LIMIT = 4096;

/**
 * Reads the change stream's snapshot (`{"cursor":…,"added":[…],"removed":[]}`, a million prefixes
 * about 20 MB) as it arrives, handing the prefixes on a chunk at a time, so the mirror never holds
 * the whole text nor a million strings at once (JSON.parse of the whole answer took the mirror's
 * peak RSS to some 350 MB). Strict about the shape the node writes; the prefixes are plain
 * strings without escapes, and anything else is refused as PEER_BAD_RESPONSE.
 */
export class SnapshotParser {
  private text = '';
  private stage: 'head' | 'items' | 'tail' = 'head';
  private first = true;
  cursor: string | undefined;

  constructor(private readonly onPrefixes: (prefixes: string[]) => void) {}

  /** The next piece of the answer's text. */
  push(chunk: string): void {
    this.text += chunk;
    if (this.stage === 'head') {
      const m = HEAD_RE.exec(this.text);
      if (!m) {
        const start = this.text.trimStart().slice(0, OPENING.length);
        if (this.text.length > HEAD_LIMIT || !OPENING.startsWith(start)) this.bad('does not start as a snapshot');
        return;
      }
      this.cursor = m[1]!;
      this.text = this.text.slice(m[0].length);
      this.stage = 'items';
    }
    if (this.stage === 'items') this.items();
  }

  /** The end of the answer: the cursor, once the whole snapshot was read. */
  end(): string {
    if (this.stage !== 'tail' || !TAIL.test(this.text)) this.bad('ends before its list does');
    return this.cursor!;
  }

  private items(): void {
    const text = this.text;
    const out: string[] = [];
    let at = 0;
    for (;;) {
      if (at >= text.length) break;
      if (text.charCodeAt(at) === 0x5d /* ] */) {
        this.stage = 'tail';
        break;
      }
      if (!this.first) {
        if (text.charCodeAt(at) !== 0x2c /* , */) this.bad('has no comma between two prefixes');
        if (at + 1 >= text.length) break;
      }
      const open = this.first ? at : at + 1;
      if (text.charCodeAt(open) !== 0x22 /* " */) this.bad('holds something other than a prefix string');
      const close = text.indexOf('"', open + 1);
      if (close < 0) break;
      const item = text.slice(open + 1, close);
      if (item.includes('\\')) this.bad('holds an escaped string');
      out.push(item);
      this.first = false;
      at = close + 1;
    }
    this.text = text.slice(at);
    if (out.length > 0) this.onPrefixes(out);
  }

  private bad(what: string): never {
    throw new SpamxError('PEER_BAD_RESPONSE', `/v1/blocklist/changes: the snapshot ${what}`);
  }
}
