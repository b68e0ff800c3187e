/** One line of a report as read: its 1-based number and its text without the line break. */
export interface ReportLine {
  readonly line: number;
  readonly text: string;
  /** The line was longer than MAX_LINE_CHARS: `text` holds its first MAX_LINE_CHARS only. */
  readonly overlong: boolean;
}

/**
 * Longest line kept whole. A report line is an address or a CSV row of six short fields; a
 * longer one is kept only this far, so one 1 GB line cannot hold 1 GB while it is read.
 */
export const MAX_LINE_CHARS = 65_536;

const BOM = 0xfeff;

/**
 * Cuts text given a chunk at a time into lines, as `text.split(/\r?\n/)` would cut it whole: a
 * line may be split across chunks, a CRLF between two chunks is one break, and a byte order mark
 * at the very start is dropped (editors on Windows write one). Holds at most one partial line,
 * itself at most MAX_LINE_CHARS.
 */
export class LineSplitter {
  private partial = '';
  private partialLength = 0;
  private lineNo = 0;
  private started = false;
  private pendingCr = false;

  /** Lines completed by this chunk. */
  push(chunk: string): ReportLine[] {
    const lines: ReportLine[] = [];
    let text = chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === BOM) text = text.slice(1);
    }
    let from = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
      this.append(text, from, nl);
      lines.push(this.take());
      from = nl + 1;
    }
    this.append(text, from, text.length);
    return lines;
  }

  /** The last line, when the text does not end with a line break. */
  end(): ReportLine[] {
    if (this.partialLength === 0 && !this.pendingCr) return [];
    // A CR at the very end is not part of a CRLF: it stays, as text.split(/\r?\n/) keeps it.
    if (this.pendingCr) this.keep('\r', 0, 1);
    return [this.take()];
  }

  private append(text: string, from: number, to: number): void {
    if (from === to) return;
    // A CR held back from the previous piece was not before a LF after all: it is text.
    if (this.pendingCr) this.keep('\r', 0, 1);
    this.pendingCr = text.charCodeAt(to - 1) === 13;
    this.keep(text, from, this.pendingCr ? to - 1 : to);
  }

  private keep(text: string, from: number, to: number): void {
    this.partialLength += to - from;
    const room = MAX_LINE_CHARS - this.partial.length;
    if (room > 0) this.partial += text.slice(from, Math.min(to, from + room));
  }

  private take(): ReportLine {
    // A CR held back right before the break is the CR of a CRLF: dropped.
    const line = { line: ++this.lineNo, text: this.partial, overlong: this.partialLength > MAX_LINE_CHARS };
    this.partial = '';
    this.partialLength = 0;
    this.pendingCr = false;
    return line;
  }
}
