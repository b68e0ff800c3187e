import { parsePrefix } from './prefix.js';

/**
 * What one `Received` header field says about the hop it records (RFC 5321 §4.4):
 *
 *     from <name> (<TCP-info>) by <name> [via …] [with <protocol>] [id …] [for …] ; <date-time>
 *
 * Each MTA writes its own dialect of it; `address` is the connecting client's address as the
 * receiving MTA saw it, never what the client said of itself (its HELO), which it chooses.
 */
export interface ReceivedHop {
  /** The field had a `from` clause: the hop was a connection from somewhere, not a local injection. */
  readonly hasFrom: boolean;
  /** The name after `from` (a HELO name for Postfix and Sendmail, a resolved name or literal for Exim), as written. */
  readonly fromName: string | null;
  /** The connecting client's address, canonical text (`61.4.12.7`, `2400:cb00::1`); null when the field names none. */
  readonly address: string | null;
  /** The client's name as the receiving MTA resolved it (`name [address]` in the TCP-info), lower case, no final dot. */
  readonly reverseName: string | null;
  /** What the client said in HELO/EHLO when the field records it apart (`helo=`, `(HELO …)`). */
  readonly helo: string | null;
  readonly by: string | null;
  /** The `with` protocol, e.g. `ESMTPS`, `local`. */
  readonly protocol: string | null;
  /** A hop inside one host (no `from` clause, or `with local`): nobody connected from anywhere. */
  readonly local: boolean;
  /** The date-time after the last `;`, milliseconds since the epoch; null when absent or not a date. */
  readonly at: number | null;
}

const CLAUSES = new Set(['from', 'by', 'via', 'with', 'id', 'for']);

interface Token {
  readonly comment: boolean;
  /** A word, or a comment's text without its outer parentheses (nested ones kept). */
  readonly text: string;
}

/**
 * Reads one `Received` field's value (unfolded or not). Nothing is guessed: a clause the field
 * does not have is null, and the caller decides what a hop without an address means.
 */
export function parseReceived(value: string): ReceivedHop {
  const { tokens, dateText } = tokenize(value.replace(/\r?\n[ \t]*/g, ' '));
  const clauses = new Map<string, Token[]>();
  let current: Token[] | null = null;
  for (const t of tokens) {
    const key = t.comment ? '' : t.text.toLowerCase();
    if (!t.comment && CLAUSES.has(key) && !clauses.has(key)) {
      current = [];
      clauses.set(key, current);
    } else if (current) {
      current.push(t);
    }
  }
  const from = clauses.get('from');
  const protocol = firstWord(clauses.get('with'));
  const by = firstWord(clauses.get('by'));
  const at = dateText === null ? null : parseMailDate(dateText);
  if (!from) {
    // A hand-over inside one host names only its receiver (`by host (Postfix, from userid 0)`) or
    // is a comment (`(qmail 123 invoked by uid 89)`); words with neither are no field we can read.
    const local = by !== null || tokens.every((t) => t.comment);
    return { hasFrom: false, fromName: null, address: null, reverseName: null, helo: null, by, protocol, local, at };
  }

  const fromName = firstWord(from);
  let helo: string | null = null;
  let address: string | null = null;
  let reverseName: string | null = null;
  // Bracketed literals in the TCP-info first (Postfix, Sendmail, Exim, Gmail), then a bare
  // address there (qmail's `(61.4.12.7)` or `(user@61.4.12.7)`, Exchange's `(10.1.1.5)`).
  for (const c of from.filter((t) => t.comment)) {
    const said = /(?:^|[\s(])(?:helo=|(?:HELO|EHLO)\s+)([^\s()]+)/i.exec(c.text);
    if (said && helo === null) helo = said[1]!;
    // What the client said is no evidence of where it is: `helo=[10.0.0.1]` must not be read as its address.
    const info = c.text.replace(/(?:^|(?<=[\s(]))(?:helo=|(?:HELO|EHLO)\s+)[^\s()]+/gi, ' ').replace(/\(may be forged\)/gi, ' ');
    if (address === null) {
      const literal = bracketedAddress(info);
      if (literal) {
        address = literal.address;
        reverseName = resolvedName(info.slice(0, literal.index));
      }
    }
  }
  if (address === null) {
    for (const c of from.filter((t) => t.comment)) {
      const bare = bareAddress(c.text.replace(/(?:helo=|(?:HELO|EHLO)\s+)[^\s()]+/gi, ' '));
      if (bare) {
        address = bare;
        break;
      }
    }
  }
  // Exim writes the literal itself when the client has no name (`from [61.4.12.7] (helo=x)`);
  // Yahoo's web gateway the bare address (`from 61.4.12.7 by … with HTTP`).
  if (address === null && fromName !== null) address = literalAddress(fromName);
  if (reverseName === null && address !== null && fromName !== null && literalAddress(fromName) === null) {
    // Exim and Exchange put the resolved name in the `from` position, the literal in the comment.
    const firstComment = from.find((t) => t.comment);
    if (firstComment && /^\s*\[/.test(firstComment.text)) reverseName = hostName(fromName);
  }
  const local = address === null && protocol !== null && /^local/i.test(protocol);
  return { hasFrom: true, fromName, address, reverseName, helo, by, protocol, local, at };
}

function firstWord(tokens: Token[] | undefined): string | null {
  return tokens?.find((t) => !t.comment)?.text ?? null;
}

/** Words and comments (RFC 5322 §3.2.2, nested), and the text after the last `;` outside any comment. */
function tokenize(value: string): { tokens: Token[]; dateText: string | null } {
  const tokens: Token[] = [];
  let lastSemicolon = -1;
  let depth = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (ch === '\\' && depth > 0) i++;
    else if (ch === '(') depth++;
    else if (ch === ')' && depth > 0) depth--;
    else if (ch === ';' && depth === 0) lastSemicolon = i;
  }
  const body = lastSemicolon < 0 ? value : value.slice(0, lastSemicolon);
  let i = 0;
  while (i < body.length) {
    const ch = body[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') {
      i++;
    } else if (ch === '(') {
      let d = 0;
      const start = i;
      for (; i < body.length; i++) {
        const c = body[i]!;
        if (c === '\\') i++;
        else if (c === '(') d++;
        else if (c === ')' && --d === 0) break;
      }
      tokens.push({ comment: true, text: body.slice(start + 1, i) });
      i++;
    } else {
      const start = i;
      let angle = 0;
      while (i < body.length) {
        const c = body[i]!;
        if (c === '<') angle++;
        else if (c === '>') angle--;
        else if (angle <= 0 && (c === ' ' || c === '\t' || c === '(' || c === '\r' || c === '\n')) break;
        i++;
      }
      tokens.push({ comment: false, text: body.slice(start, i) });
    }
  }
  return { tokens, dateText: lastSemicolon < 0 ? null : value.slice(lastSemicolon + 1) };
}

/** `[61.4.12.7]`, `[IPv6:2400:cb00::1]` (RFC 5321 §4.1.3), `[2400:cb00::1]` (Exim), each maybe with `:port`. */
function bracketedAddress(text: string): { address: string; index: number } | null {
  for (const m of text.matchAll(/\[(?:IPv6:)?([0-9A-Fa-f:.]+)\](?::\d+)?/gi)) {
    const address = canonicalAddress(m[1]!);
    if (address) return { address, index: m.index };
  }
  return null;
}

/** An address standing alone in a comment: `61.4.12.7`, `user@61.4.12.7`, `2603:10a6:209:3b::19`, `::ffff:61.4.12.7`. */
function bareAddress(text: string): string | null {
  for (const word of text.split(/[\s(),]+/)) {
    const at = word.lastIndexOf('@');
    const address = canonicalAddress(at >= 0 ? word.slice(at + 1) : word);
    if (address) return address;
  }
  return null;
}

/** An address literal in the `from` position, bracketed or not. */
function literalAddress(name: string): string | null {
  const bracketed = bracketedAddress(name);
  if (bracketed && bracketed.index === 0) return bracketed.address;
  return canonicalAddress(name);
}

/** The name before the literal in the TCP-info (`mail.example.net [61.4.12.7]`, `IDENT:user@host [ip]`), unless `unknown`. */
function resolvedName(before: string): string | null {
  const words = before.trim().split(/\s+/);
  const last = words[words.length - 1] ?? '';
  const name = last.slice(last.lastIndexOf('@') + 1).replace(/^IDENT:/i, '');
  return name === '' || name.toLowerCase() === 'unknown' ? null : hostName(name);
}

function hostName(name: string): string | null {
  const n = name.toLowerCase().replace(/\.$/, '');
  return /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(n) ? n : null;
}

/** Canonical address text (IPv4-mapped IPv6 as IPv4), or null when `text` is not an address. */
export function canonicalAddress(text: string): string | null {
  if (text === '' || text.includes('/') || !/^[0-9A-Fa-f:.]+$/.test(text)) return null;
  if (!text.includes(':') && !/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(text)) return null;
  const parsed = parsePrefix(text);
  if (!parsed.ok) return null;
  const t = parsed.prefix.text;
  return t.slice(0, t.lastIndexOf('/'));
}

const MONTHS: Record<string, number> = { jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11 };
/** RFC 5322 §4.3 obsolete zones; military letters carry no reliable meaning and count as -0000. */
const ZONES: Record<string, number> = { ut: 0, gmt: 0, utc: 0, z: 0, edt: -4, est: -5, cdt: -5, cst: -6, mdt: -6, mst: -7, pdt: -7, pst: -8 };

/**
 * An RFC 5322 §3.3 date-time (with §4.3's obsolete forms: two-digit years, named zones,
 * comments such as `(UTC)` or `(CET)` after it), in milliseconds; null when it is not one.
 */
export function parseMailDate(text: string): number | null {
  const t = text.replace(/\([^()]*\)/g, ' ').trim();
  const m = /^(?:[A-Za-z]{3},?\s+)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{2,4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*([+-]\d{4}|[A-Za-z]{1,3})?\s*$/.exec(t);
  if (!m) return null;
  const month = MONTHS[m[2]!.toLowerCase()];
  if (month === undefined) return null;
  let year = Number(m[3]);
  if (m[3]!.length === 2) year += year < 50 ? 2000 : 1900;
  else if (m[3]!.length === 3) year += 1900;
  const day = Number(m[1]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  const zone = m[7];
  let offsetMinutes = 0;
  if (zone !== undefined && /^[+-]\d{4}$/.test(zone)) {
    const hh = Number(zone.slice(1, 3));
    const mm = Number(zone.slice(3, 5));
    if (mm > 59) return null;
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (hh * 60 + mm);
  } else if (zone !== undefined) {
    const named = ZONES[zone.toLowerCase()];
    if (named === undefined && zone.length !== 1) return null;
    offsetMinutes = (named ?? 0) * 60;
  }
  const ms = Date.UTC(year, month, day, hour, minute, Math.min(second, 59));
  if (new Date(ms).getUTCDate() !== day) return null; // 31 Feb
  return ms - offsetMinutes * 60_000;
}
