import { parse as csvParser, type CsvError } from 'csv-parse';
import { Readable, pipeline } from 'node:stream';
import { LineSplitter, MAX_LINE_CHARS, type ReportLine } from '../core/report-lines.js';
import { CSV_OPTIONS, isReportContent, plainRowOf, reportFormatOf, type ReportRow } from '../core/report.js';

/** One CSV line (RFC 4180 §2 fields, each padded with blanks at most): quotes paired, none inside an unquoted field. */
const CSV_LINE = /^[ \t]*(?:"(?:[^"]|"")*"|[^",]*)[ \t]*(?:,[ \t]*(?:"(?:[^"]|"")*"|[^",]*)[ \t]*)*$/;

/** Rows handed on at a time: each group is one transaction of the queue. */
export const REPORT_GROUP_ROWS = 8192;
/** Lines looked at for a CSV header before the report is taken as plain (as parseReport does). */
const HEADER_LINES = 64;

/** A group of rows of a streamed report, and how far into the input it reaches. */
export interface ReportRowGroup {
  readonly rows: ReportRow[];
  /** Input bytes read so far. */
  readonly bytes: number;
}

/**
 * Reads a report (plain or CSV, as core/report.ts parseReport) from a stream of bytes, a group
 * of rows at a time, holding no more than a group and one chunk of the input: a 500,000-line
 * report is never one string. Lines are cut by core/report-lines.ts (CRLF, a BOM, lines split
 * across chunks), so a CSV row's line number is the same whether the file came whole or in
 * chunks. CSV goes through csv-parse's streaming parser with each record's errors its own: a
 * ragged row or a bad quote is a refused row with its line number, and the rows after it are
 * read on.
 */
export async function* reportRowGroups(source: AsyncIterable<Uint8Array | string>): AsyncGenerator<ReportRowGroup> {
  const input = new LineGroups(source);
  const head: ReportLine[] = [];
  let format: 'plain' | 'csv' | undefined;
  for await (const lines of input.groups()) {
    for (const l of lines) head.push(l); // not push(...lines): a chunk may hold 65,536 empty lines
    const content = head.slice(0, HEADER_LINES).find((l) => isReportContent(l.text));
    if (content || head.length >= HEADER_LINES) {
      format = content ? reportFormatOf(content.text) : 'plain';
      break;
    }
  }
  if (format === 'csv') {
    yield* csvGroups(head, input);
    return;
  }
  let rows: ReportRow[] = [];
  for await (const group of allLines(head, input)) {
    for (const l of group) {
      const row = plainRowOf(l);
      if (row) rows.push(row);
    }
    if (rows.length >= REPORT_GROUP_ROWS) {
      yield { rows, bytes: input.bytes };
      rows = [];
    }
  }
  yield { rows, bytes: input.bytes };
}

/** The lines read to tell the format, then the rest of the input's. */
async function* allLines(head: ReportLine[], input: LineGroups): AsyncGenerator<ReportLine[]> {
  if (head.length > 0) yield head;
  yield* input.groups();
}

/** The input's complete lines, a chunk's worth at a time. */
class LineGroups {
  bytes = 0;
  private readonly decoder = new TextDecoder('utf-8'); // drops a leading BOM, like the splitter
  private readonly splitter = new LineSplitter();
  private readonly iterator: AsyncIterator<Uint8Array | string>;

  constructor(source: AsyncIterable<Uint8Array | string>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** Resumable: stopping early (for the format) leaves the rest for the next call. */
  async *groups(): AsyncGenerator<ReportLine[]> {
    for (;;) {
      const next = await this.iterator.next();
      if (next.done) {
        const last = this.splitter.end();
        if (last.length > 0) yield last;
        return;
      }
      const chunk = next.value;
      this.bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
      const text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
      const lines = this.splitter.push(text);
      if (lines.length > 0) yield lines;
    }
  }
}

async function* csvGroups(head: ReportLine[], input: LineGroups): AsyncGenerator<ReportRowGroup> {
  const overlong = new Set<number>();
  let rows: ReportRow[] = [];
  // csv-parse is given the lines as cut here, joined by LF: its line numbers are then ours. A
  // line whose quotes do not pair up is refused here and given to it blank (still counted): an
  // open quote would run on over every line after it, and a stray one left csv-parse's record
  // errors out of step. A report's row is one line; no field of one holds a line break.
  async function* texts(): AsyncGenerator<string> {
    for await (const group of allLines(head, input)) {
      const lines = group.map((l) => {
        if (l.overlong) overlong.add(l.line);
        if (l.overlong || CSV_LINE.test(l.text) || l.text.trimStart().startsWith('#')) return l.text;
        rows.push({ line: l.line, text: l.text, fields: {}, broken: 'CSV row is not readable: a quote is not closed, or a quoted field has text after its closing quote' });
        return '';
      });
      yield `${lines.join('\n')}\n`;
    }
  }
  const parser = csvParser({ ...CSV_OPTIONS, info: true, skip_records_with_error: true });
  parser.on('skip', (err: CsvError & { lines?: number }) => {
    rows.push({ line: err.lines ?? 0, text: '', fields: {}, broken: `CSV row is not readable: ${err.message}` });
  });
  const records = pipeline(Readable.from(texts()), parser, () => {}) as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>;
  for await (const { record, info } of records) {
    const text = Object.values(record).join(',');
    rows.push(
      overlong.has(info.lines)
        ? { line: info.lines, text, fields: record, broken: `line is longer than ${MAX_LINE_CHARS} characters` }
        : { line: info.lines, text, fields: record },
    );
    if (rows.length >= REPORT_GROUP_ROWS) {
      yield { rows: inLineOrder(rows), bytes: input.bytes };
      rows = [];
    }
  }
  yield { rows: inLineOrder(rows), bytes: input.bytes };
}

/** Lines refused before csv-parse reached them join the records in the order of the file. */
function inLineOrder(rows: ReportRow[]): ReportRow[] {
  return rows.sort((a, b) => a.line - b.line);
}
