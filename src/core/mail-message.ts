import { simpleParser, type HeaderLines } from 'mailparser';
import { looksLikeXarfYaml, originOfArf, originOfXarf } from './arf.js';
import { originOfReceived, refusal, type MailVerdict, type TrustedRelays } from './mail-origin.js';

/**
 * One message's origin: the header block parsed with mailparser, then our own reading of it
 * (core/mail-origin.ts, core/arf.ts). Only the header block is parsed for an ordinary message;
 * the body is read only for abuse feedback (`wantsBody`), so a 20 MB attachment is never held.
 */

/** The longest header block read; a longer one is refused (no real header is anywhere near it). */
export const MAX_HEADER_BYTES = 1 << 20;

// mailparser's work on the header block only: nothing of the body is converted or linked.
const PARSE_OPTIONS = { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true } as const;

/** RFC 5322 §2.2: a field name is printable ASCII but the colon. */
const FIELD_START = /^[!-9;-~]+[ \t]*:/;

/** Where the header block ends: the offset of the byte after its blank line, or -1 when `bytes` holds no blank line yet. */
export function headerEnd(bytes: Uint8Array, length = bytes.length): number {
  for (let i = 0; i + 1 < length; i++) {
    if (bytes[i] !== 10) continue;
    if (bytes[i + 1] === 10) return i + 2;
    if (bytes[i + 1] === 13 && i + 2 < length && bytes[i + 2] === 10) return i + 3;
  }
  return -1;
}

/** The header says the message is abuse feedback, whose body must then be read (ARF or X-ARF). */
export function wantsBody(header: Uint8Array): boolean {
  const text = Buffer.from(header.buffer, header.byteOffset, header.byteLength).toString('latin1');
  return /^content-type:[ \t]*(\r?\n[ \t]+)?multipart\/report/im.test(text) || /^x-arf:[ \t]*yes/im.test(text);
}

/**
 * The origin of one message. `header` is its header block (with the blank line, or all of it
 * when the message has no body); `body` what follows, given only when `wantsBody` said so.
 */
export async function analyseMessage(header: Buffer, body: Buffer | null, trusted: TrustedRelays): Promise<MailVerdict> {
  const read = await readHeader(header);
  if (!read.ok) return read;
  const { lines } = read;
  const received = fieldValues(lines, 'received');
  if (body !== null) {
    if (/^yes/i.test(fieldValues(lines, 'x-arf')[0] ?? '')) return xarf(lines, body);
    const type = fieldValues(lines, 'content-type')[0] ?? '';
    if (/^\s*multipart\/report/i.test(type) && /report-type\s*=\s*"?feedback-report/i.test(type)) return arf(type, body, trusted);
  }
  return originOfReceived(received, trusted);
}

async function readHeader(header: Buffer): Promise<{ ok: true; lines: HeaderLines } | ReturnType<typeof refusal>> {
  const firstLine = header.subarray(0, Math.min(header.length, 1000)).toString('latin1');
  if (!FIELD_START.test(firstLine)) return refusal('MAIL_MALFORMED', 'the message does not begin with a header field (RFC 5322 §2.2)');
  if (header.length > MAX_HEADER_BYTES) return refusal('MAIL_MALFORMED', `the header block is longer than ${MAX_HEADER_BYTES} bytes`);
  try {
    const parsed = await simpleParser(originFields(header), PARSE_OPTIONS);
    return { ok: true, lines: parsed.headerLines };
  } catch (err) {
    return refusal('MAIL_MALFORMED', `the header cannot be parsed: ${(err as Error).message}`);
  }
}

/** The fields the origin is read from; mailparser is given only these. */
const ORIGIN_FIELD = /^(?:received|content-type|x-arf)[ \t]*:/i;

/**
 * The header block's `Received`, `Content-Type` and `X-ARF` fields (RFC 5322 §2.2: a field is
 * its first line and the lines after it that begin with white space), in their order. mailparser
 * parses every field it is given, From, To and Cc with its address parser and their HTML form:
 * on the benchmark's headers it read the three fields about 2.5 times as fast as the whole
 * block (test/bench/README.md "Spam samples in, origins out").
 */
export function originFields(header: Buffer): Buffer {
  const text = header.toString('latin1');
  const kept: string[] = [];
  let keep = false;
  let at = 0;
  while (at < text.length) {
    const nl = text.indexOf('\n', at);
    const end = nl < 0 ? text.length : nl + 1;
    const first = text.charCodeAt(at);
    if (first === 32 || first === 9) {
      if (keep) kept.push(text.slice(at, end));
    } else {
      keep = ORIGIN_FIELD.test(text.slice(at, Math.min(end, at + 16)));
      if (keep) kept.push(text.slice(at, end));
    }
    at = end;
  }
  const last = kept.length - 1;
  if (last >= 0 && !kept[last]!.endsWith('\n')) kept[last] += '\r\n';
  kept.push('\r\n');
  return Buffer.from(kept.join(''), 'latin1');
}

/** A field's values in header order (top first), unfolded, without the name. */
function fieldValues(lines: HeaderLines, key: string): string[] {
  const values: string[] = [];
  for (const l of lines) {
    if (l.key !== key) continue;
    const colon = l.line.indexOf(':');
    values.push(l.line.slice(colon + 1).replace(/\r?\n[ \t]*/g, ' ').trim());
  }
  return values;
}

/** RFC 5965 §2: a multipart/report whose parts are a human note, message/feedback-report, and the message or its header. */
async function arf(contentType: string, body: Buffer, trusted: TrustedRelays): Promise<MailVerdict> {
  const boundary = boundaryOf(contentType);
  if (boundary === null) return refusal('MAIL_MALFORMED', 'the ARF report\'s Content-Type has no boundary');
  const parts = mimeParts(body, boundary);
  let report: string | null = null;
  let enclosed: Buffer | null = null;
  for (const part of parts) {
    const type = partType(part.header);
    if (type === 'message/feedback-report' && report === null) report = part.body.toString('utf8');
    else if ((type === 'message/rfc822' || type === 'text/rfc822-headers') && enclosed === null) enclosed = part.body;
  }
  if (report === null) return refusal('MAIL_MALFORMED', 'the ARF report has no message/feedback-report part (RFC 5965 §2)');
  let inner: MailVerdict | null = null;
  if (enclosed !== null) {
    const end = headerEnd(enclosed);
    const read = await readHeader(end < 0 ? enclosed : enclosed.subarray(0, end));
    inner = read.ok ? originOfReceived(fieldValues(read.lines, 'received'), trusted) : read;
  }
  return originOfArf(report, () => inner);
}

/** X-ARF v0.2: multipart/mixed, a human part, the YAML report, the evidence. */
async function xarf(lines: HeaderLines, body: Buffer): Promise<MailVerdict> {
  const boundary = boundaryOf(fieldValues(lines, 'content-type')[0] ?? '');
  if (boundary === null) return refusal('MAIL_MALFORMED', 'the X-ARF report is not a multipart message');
  for (const part of mimeParts(body, boundary)) {
    const type = partType(part.header);
    if (type !== null && !type.startsWith('text/') && type !== 'application/yaml' && type !== 'application/x-yaml') continue;
    // The part through mailparser: it decodes base64 and quoted-printable, and the charset.
    const parsed = await simpleParser(Buffer.concat([part.header, part.body]), PARSE_OPTIONS).catch(() => null);
    const text = parsed?.text ?? parsed?.attachments[0]?.content.toString('utf8') ?? part.body.toString('utf8');
    if (looksLikeXarfYaml(text)) return originOfXarf(text);
  }
  return refusal('MAIL_MALFORMED', 'the X-ARF report has no YAML part');
}

function boundaryOf(contentType: string): string | null {
  const m = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^\s;]+))/i.exec(contentType);
  return m ? (m[1] ?? m[2]!) : null;
}

function partType(header: Buffer): string | null {
  const m = /^content-type:[ \t]*(?:\r?\n[ \t]+)?([^;\s]+)/im.exec(header.toString('latin1'));
  return m ? m[1]!.toLowerCase() : null;
}

/**
 * The body parts of a multipart body (RFC 2046 §5.1.1: `--boundary` delimiter lines, `--boundary--`
 * closing), each cut into its header block and body. Ours rather than mailparser's: mailparser
 * folds an enclosed message/rfc822 into the outer message's text, and the enclosed header block,
 * which RFC 5965 §2 says to read, is lost.
 */
export function mimeParts(body: Buffer, boundary: string): { header: Buffer; body: Buffer }[] {
  const text = body.toString('latin1');
  const delimiter = `--${boundary}`;
  const parts: { header: Buffer; body: Buffer }[] = [];
  let start = -1;
  let at = 0;
  while (at <= text.length) {
    const nl = text.indexOf('\n', at);
    const lineEnd = nl < 0 ? text.length : nl + 1;
    const line = text.slice(at, lineEnd).replace(/[ \t]*\r?\n$/, '');
    if (line === delimiter || line === `${delimiter}--`) {
      if (start >= 0) {
        // The line break before the delimiter belongs to the delimiter (RFC 2046 §5.1.1).
        const end = at - (text[at - 2] === '\r' ? 2 : 1);
        const partBytes = body.subarray(start, Math.max(start, end));
        const blankFirst = partBytes[0] === 10 || (partBytes[0] === 13 && partBytes[1] === 10);
        const h = blankFirst ? (partBytes[0] === 10 ? 1 : 2) : headerEnd(partBytes);
        parts.push(h < 0 ? { header: Buffer.alloc(0), body: partBytes } : { header: partBytes.subarray(0, h), body: partBytes.subarray(h) });
      }
      if (line !== delimiter) break;
      start = lineEnd;
    }
    if (nl < 0) break;
    at = lineEnd;
  }
  return parts;
}
