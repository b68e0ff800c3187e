/**
 * Text with the credentials of every URL in it replaced by `***` (`http://user:pw@host/` →
 * `http://***@host/`), for anything logged, stored or answered that may hold a peer's URL: a
 * peer file may carry `user:password@` (RFC 3986 §3.2.1 deprecates it, but it is accepted), and
 * a password must not reach logs, pull failures or status. Linear in the text: each `://` is
 * followed to the end of its authority, and the authority's last `@` ends the userinfo, as the
 * WHATWG URL parser reads it.
 */
export function redactCredentials(text: string): string {
  let out = '';
  let from = 0;
  for (let at = text.indexOf('://'); at >= 0; at = text.indexOf('://', at + 3)) {
    const start = at + 3;
    let end = start;
    let userinfoEnd = -1;
    for (; end < text.length; end++) {
      const c = text.charCodeAt(end);
      if (AUTHORITY_END.has(c)) break;
      if (c === AT) userinfoEnd = end;
    }
    if (userinfoEnd >= 0) {
      out += `${text.slice(from, start)}***`;
      from = userinfoEnd;
    }
    at = Math.max(at, end - 3); // the next search starts where this authority ended
  }
  return from === 0 ? text : out + text.slice(from);
}

const AT = 0x40;
/** Characters that end a URL's authority (`/ ? #`, and `\` as WHATWG reads it), or the URL itself. */
const AUTHORITY_END = new Set([...'/?#\\ \t\r\n"\'<>`'].map((c) => c.charCodeAt(0)));
