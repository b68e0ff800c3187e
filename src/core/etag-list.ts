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
  const tags: EntityTag[] = [];
  const ok = scanEntityTags(value, (weak, start, end) => {
    tags.push({ weak, opaque: value.slice(start, end) });
    return false;
  });
  return ok === '*' ? '*' : ok ? tags : undefined;
}

/**
 * Calls `visit` with each tag's weakness and the span of its opaque-tag (quotes included) until
 * it returns true. Returns '*', true once the whole value was read (or `visit` said stop), or
 * false when the value is not a list of entity-tags. Allocates nothing itself.
 */
function scanEntityTags(value: string, visit: (weak: boolean, start: number, end: number) => boolean): '*' | boolean {
  let i = 0;
  const n = value.length;
  const skipOws = () => {
    while (i < n && isOws(value.charCodeAt(i))) i++;
  };
  skipOws();
  if (value.charCodeAt(i) === 0x2a) {
    i++;
    skipOws();
    return i === n ? '*' : false;
  }
  for (;;) {
    // Empty list elements: commas with only whitespace between them.
    while (i < n && (value.charCodeAt(i) === 0x2c || isOws(value.charCodeAt(i)))) i++;
    if (i === n) return true;
    let weak = false;
    if (value.startsWith('W/', i)) {
      weak = true;
      i += 2;
    }
    if (value.charCodeAt(i) !== 0x22) return false;
    const start = i;
    i++;
    while (i < n && isEtagc(value.charCodeAt(i))) i++;
    if (value.charCodeAt(i) !== 0x22) return false;
    i++;
    if (visit(weak, start, i)) return true;
    skipOws();
    if (i < n && value.charCodeAt(i) !== 0x2c) return false;
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
  const current = field === undefined ? undefined : parseEntityTag(etag);
  if (current === undefined) return false;
  const { opaque } = current;
  let hit = false;
  // Read to the end even after a match: a field that is not a list is ignored whole.
  const read = scanEntityTags(field!, (_weak, start, end) => {
    hit ||= end - start === opaque.length && field!.startsWith(opaque, start);
    return false;
  });
  return read === '*' || (read && hit);
}
