import type { BlocklistRow } from './format.js';

/** Lines per chunk: one string per row would cost the consumer a concatenation per row. */
const LINES_PER_CHUNK = 1024;

/** `line(row)` for every row, newline-terminated, yielded a thousand lines at a time. */
export function* lineChunks(rows: Iterable<BlocklistRow>, line: (row: BlocklistRow) => string): Generator<string> {
  let lines: string[] = [];
  for (const row of rows) {
    lines.push(line(row));
    if (lines.length === LINES_PER_CHUNK) {
      yield `${lines.join('\n')}\n`;
      lines = [];
    }
  }
  if (lines.length > 0) yield `${lines.join('\n')}\n`;
}
