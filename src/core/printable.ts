/**
 * Text safe to write to a terminal: control characters (C0, DEL, C1) and the bidirectional
 * overrides and isolates that reorder what is shown (Unicode TR 9; the "Trojan Source" trick)
 * are written as escapes (`\x1b`, `\u202e`), so a refused report line or a peer's error text
 * can neither move the cursor, retitle the window nor hide what it says. Tabs and newlines are
 * escaped too: a field printed on one tab-separated line stays one field.
 */
export function printable(text: string): string {
  return UNPRINTABLE.test(text) ? text.replace(UNPRINTABLE_ALL, escape) : text;
}

const PATTERN = '[\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]';
const UNPRINTABLE = new RegExp(PATTERN);
const UNPRINTABLE_ALL = new RegExp(PATTERN, 'g');

function escape(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}
