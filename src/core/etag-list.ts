/**
 * `If-None-Match` (RFC 9110 §13.1.2): `"*"` or a list of entity-tags, read in one pass over the
 * value. A regular expression such as `split(/\s*,\s*\/)` backtracks over every run of spaces
 * without a comma, quadratic in the run: 15,000 spaces took seconds of the thread that answers
 * DNS. Here each character is looked at a bounded number of times.
 */

/** RFC 9110 §8.8.3: entity-tag = [ weak ] opaque-tag; `opaque` keeps its quotes. */
export interface EntityTag {
  readonly weak: boolean;
  readonly opaque: string;
}

/** What a field value holds: any current representation, some tags, or nothing usable. */
export type EntityTagList = '*' | readonly EntityTag[];

const isOws = (code: number) => code === 0x20 || code === 0x09;

/** etagc = %x21 / %x23-7E / obs-text (%x80-FF): any visible character but DQUOTE. */
const isEtagc = (code: number) => code === 0x21 || (code >= 0x23 && code <= 0x7e) || (code >= 0x80 && code <= 0xff);

/**
 * Parses a field value, or returns undefined when it is not one (RFC 9110 §5.6.1 lists: empty
 * elements and optional whitespace around commas are allowed). A value that does not parse is
 * ignored by the caller, as a condition it cannot evaluate.
 */
export function parseEntityTagList(value: string): EntityTagList | undefined {
  let i = 0;
  const n = value.length;
  const skipOws = () => {
    while (i < n && isOws(value.charCodeAt(i))) i++;
  };
  skipOws();
  if (value[i] === '*') {
    i++;
    skipOws();
    return i === n ? '*' : undefined;
  }
  const tags: EntityTag[] = [];
  for (;;) {
    // Empty list elements: commas with only whitespace between them.
    while (i < n && (value.charCodeAt(i) === 0x2c || isOws(value.charCodeAt(i)))) i++;
    if (i === n) return tags;
    let weak = false;
    if (value.startsWith('W/', i)) {
      weak = true;
      i += 2;
    }
    if (value.charCodeAt(i) !== 0x22) return undefined;
    const start = i;
    i++;
    while (i < n && isEtagc(value.charCodeAt(i))) i++;
    if (value.charCodeAt(i) !== 0x22) return undefined;
    i++;
    tags.push({ weak, opaque: value.slice(start, i) });
    skipOws();
    if (i < n && value.charCodeAt(i) !== 0x2c) return undefined;
  }
}

/** Parses one entity-tag, as a server writes it in `ETag`. */
export function parseEntityTag(value: string): EntityTag | undefined {
  const list = parseEntityTagList(value);
  return list !== undefined && list !== '*' && list.length === 1 ? list[0] : undefined;
}

/**
 * True when `If-None-Match` holds for the current `etag`, i.e. the server answers 304 to a GET
 * (RFC 9110 §13.1.2): the field is `*`, or one of its tags matches by weak comparison (§8.8.3.2:
 * the opaque-tags are equal, whichever is weak). An absent or unparsable field never matches.
 */
export function ifNoneMatchHits(field: string | undefined, etag: string): boolean {
  if (field === undefined) return false;
  const list = parseEntityTagList(field);
  if (list === undefined) return false;
  if (list === '*') return true;
  const current = parseEntityTag(etag);
  return current !== undefined && list.some((t) => t.opaque === current.opaque);
}
