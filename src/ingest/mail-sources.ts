import { closeSync, existsSync, fstatSync, opendirSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SpamxError } from '../core/errors.js';
import { headerEnd, MAX_HEADER_BYTES, wantsBody } from '../core/mail-message.js';
import { refusal, type MailRefusal } from '../core/mail-origin.js';

/**
 * Spam samples read from disk: single messages (`.eml`), mbox files and Maildir folders, one
 * message at a time with synchronous reads (a one-shot command; 100,000 small files are read
 * faster so than through streams). Memory is one message's header block, plus its body only
 * when it is abuse feedback (core/mail-message.ts `wantsBody`), never a whole mbox.
 */

/** A message over this is skipped and counted (MAIL_TOO_LARGE); abuse feedback is held whole up to it. */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

const CHUNK = 1 << 20;
const FIRST_READ = 1 << 16;

/** One message as read: its header block, its body when wanted, or why it cannot be read. */
export interface RawMessage {
  /** The file, or `file:line` of a message in an mbox. */
  readonly source: string;
  readonly header: Buffer | null;
  readonly body: Buffer | null;
  readonly size: number;
  readonly problem: MailRefusal | null;
}

export interface MailSourceEvents {
  /** An mbox separator that is not as it should be (mboxrd, RFC 4155): told as met, the messages around it still read. */
  readonly brokenSeparator?: (source: string, why: string) => void;
  /** Bytes read so far, over all inputs. */
  readonly bytes?: (n: number) => void;
}

type Kind = 'maildir' | 'mbox' | 'message';

/** What each path is, checked before anything is read: a path that is none of the three is a usage error now. */
export function mailInputs(paths: readonly string[]): { path: string; kind: Kind }[] {
  return paths.map((path) => {
    let st;
    try {
      st = statSync(path);
    } catch (err) {
      throw new SpamxError('BAD_REQUEST', `cannot read ${path}: ${(err as Error).message}`);
    }
    if (st.isDirectory()) {
      if (existsSync(join(path, 'cur')) || existsSync(join(path, 'new'))) return { path, kind: 'maildir' as const };
      throw new SpamxError('BAD_REQUEST', `${path} is a directory but not a Maildir (it has neither cur/ nor new/)`);
    }
    return { path, kind: startsWithFromLine(path) ? ('mbox' as const) : ('message' as const) };
  });
}

function startsWithFromLine(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(5);
    return readSync(fd, b, 0, 5, 0) === 5 && b.toString('latin1') === 'From ';
  } finally {
    closeSync(fd);
  }
}

/** Every message of the inputs, in order: a Maildir's new/ then cur/ (tmp/ holds deliveries not yet complete, maildir(5)). */
export function* readMail(paths: readonly string[], events: MailSourceEvents = {}): Generator<RawMessage> {
  const reader = new FileReader(events);
  for (const { path, kind } of mailInputs(paths)) {
    if (kind === 'message') yield reader.message(path);
    else if (kind === 'mbox') yield* new MboxReader(path, events, reader).messages();
    else {
      for (const sub of ['new', 'cur']) {
        const dir = join(path, sub);
        if (!existsSync(dir)) continue;
        const handle = opendirSync(dir);
        try {
          for (let entry = handle.readSync(); entry !== null; entry = handle.readSync()) {
            if (entry.name.startsWith('.') || !entry.isFile()) continue;
            yield reader.message(join(dir, entry.name));
          }
        } finally {
          handle.closeSync();
        }
      }
    }
  }
}

/** Single-message files: the header block read, and the rest only when it is wanted. */
class FileReader {
  private buffer = Buffer.allocUnsafe(FIRST_READ);
  private total = 0;

  constructor(private readonly events: MailSourceEvents) {}

  message(path: string): RawMessage {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      // A mail reader may move or delete a Maildir file while the run reads the folder.
      return problem(path, 0, refusal('MAIL_MALFORMED', `the message cannot be read: ${(err as Error).message}`));
    }
    try {
      const size = fstatSync(fd).size;
      this.count(size);
      if (size > MAX_MESSAGE_BYTES) return problem(path, size, refusal('MAIL_TOO_LARGE', `the message is ${size} bytes, over the bound of ${MAX_MESSAGE_BYTES}`));
      let read = readSync(fd, this.buffer, 0, Math.min(this.buffer.length, size), 0);
      // An envelope `From ` line some tools save a single message with is not a header field.
      let from = 0;
      if (read >= 5 && this.buffer.toString('latin1', 0, 5) === 'From ') from = this.buffer.indexOf(10) + 1 || read;
      let end = headerEnd(this.buffer.subarray(from, read));
      while (end < 0 && read < size && read < MAX_HEADER_BYTES + from) {
        if (read === this.buffer.length) this.grow(Math.min(this.buffer.length * 2, MAX_HEADER_BYTES + FIRST_READ));
        const n = readSync(fd, this.buffer, read, Math.min(this.buffer.length - read, size - read), read);
        if (n === 0) break; // the file was cut short while read
        read += n;
        end = headerEnd(this.buffer.subarray(from, read));
      }
      if (end < 0 && read < size) return problem(path, size, refusal('MAIL_MALFORMED', `no end of the header block in its first ${MAX_HEADER_BYTES} bytes`));
      const headerBytes = end < 0 ? read - from : end;
      const header = Buffer.from(this.buffer.subarray(from, from + headerBytes));
      if (this.buffer.length > FIRST_READ * 4) this.buffer = Buffer.allocUnsafe(FIRST_READ); // one long header is not kept
      if (end < 0 || !wantsBody(header)) return { source: path, header, body: null, size, problem: null };
      const bodyStart = from + end;
      const body = Buffer.allocUnsafe(size - bodyStart);
      let got = 0;
      while (got < body.length) {
        const n = readSync(fd, body, got, body.length - got, bodyStart + got);
        if (n === 0) break;
        got += n;
      }
      return { source: path, header, body: body.subarray(0, got), size, problem: null };
    } finally {
      closeSync(fd);
    }
  }

  count(bytes: number): void {
    this.total += bytes;
    this.events.bytes?.(this.total);
  }

  private grow(length: number): void {
    const next = Buffer.allocUnsafe(length);
    this.buffer.copy(next);
    this.buffer = next;
  }
}

function problem(source: string, size: number, why: MailRefusal): RawMessage {
  return { source, header: null, body: null, size, problem: why };
}

/** An mboxrd/mboxo envelope line: `From sender asctime-date` (RFC 4155 §2). */
const ENVELOPE = /^From \S+\s+[A-Za-z]{3}\s+[A-Za-z]{3}\s+\d{1,2}\s+\d{1,2}:\d{2}/;

/**
 * An mbox (RFC 4155), read a MiB at a time. A message starts at a `From ` line at the start of
 * the file or after a blank line. Two broken forms are told (`brokenSeparator`) and still split
 * at, as mail readers do: a `From ` line after a blank line that is no envelope line (an
 * unescaped body line of mboxo), and an envelope line with no blank line before it (a writer
 * that did not end the message before). A long line is never held: only a line's first bytes
 * decide whether it is a separator.
 */
class MboxReader {
  private line = 0;
  private messageLine = 1;
  private headerParts: Buffer[] = [];
  private headerLength = 0;
  private inBody = false;
  private keepBody = false;
  private bodyParts: Buffer[] = [];
  private bodyLength = 0;
  private size = 0;
  private trouble: MailRefusal | null = null;
  private previousBlank = true;
  private started = false;

  constructor(
    private readonly path: string,
    private readonly events: MailSourceEvents,
    private readonly counter: FileReader,
  ) {}

  *messages(): Generator<RawMessage> {
    const fd = openSync(this.path, 'r');
    try {
      let carry: Buffer | null = null;
      let midLine = false;
      let position = 0;
      // One read buffer for the whole file: whatever outlives a chunk (a header line, a kept
      // body line, the partial line at its end) is copied out of it.
      const chunk = Buffer.allocUnsafe(CHUNK);
      for (;;) {
        // The partial line left by the last chunk (at most 4 KiB) goes first, the file's next bytes after it.
        const kept = carry ? carry.copy(chunk, 0) : 0;
        carry = null;
        const n = readSync(fd, chunk, kept, CHUNK - kept, position);
        if (n === 0) {
          if (kept > 0) carry = Buffer.from(chunk.subarray(0, kept));
          break;
        }
        position += n;
        this.counter.count(n);
        const data = chunk.subarray(0, kept + n);
        let at = 0;
        for (;;) {
          const nl = data.indexOf(10, at);
          if (nl < 0) {
            const rest = data.subarray(at);
            if (rest.length > 4096) {
              // A long line: its start was judged already (or it is past the start); the rest is content.
              const out = midLine ? this.content(rest) : this.lineStart(rest, false);
              if (out) yield out;
              midLine = true;
            } else if (rest.length > 0) carry = Buffer.from(rest);
            break;
          }
          const piece = data.subarray(at, nl + 1);
          const out = midLine ? this.content(piece) : this.lineStart(piece, true);
          if (out) yield out;
          midLine = false;
          at = nl + 1;
        }
      }
      if (carry) {
        const out = midLine ? this.content(carry) : this.lineStart(carry, true);
        if (out) yield out;
      }
      if (this.started) yield this.finish();
    } finally {
      closeSync(fd);
    }
  }

  /** A line (whole, or the first 4 KiB of a long one); returns the message it ended, if any. */
  private lineStart(bytes: Buffer, whole: boolean): RawMessage | null {
    this.line++;
    const blank = bytes.length <= 2 && (bytes[0] === 10 || (bytes[0] === 13 && bytes[1] === 10));
    const isFrom = bytes.length >= 5 && bytes[0] === 70 && bytes.toString('latin1', 0, 5) === 'From ';
    if (isFrom) {
      const text = bytes.toString('latin1', 0, Math.min(bytes.length, 400));
      const envelope = ENVELOPE.test(text);
      if (this.previousBlank || envelope) {
        const where = `${this.path}:${this.line}`;
        if (this.started && !this.previousBlank) this.events.brokenSeparator?.(where, 'an envelope line with no blank line before it');
        else if (!envelope) this.events.brokenSeparator?.(where, 'a From line that is no envelope line (From sender date)');
        const ended = this.started ? this.finish() : null;
        this.started = true;
        this.messageLine = this.line + 1;
        this.previousBlank = false;
        return ended;
      }
    }
    this.previousBlank = blank && whole;
    if (!this.started) return null; // unreachable: an mbox starts with `From ` (mailInputs)
    if (!this.inBody && blank) {
      this.size += bytes.length;
      this.append(bytes);
      this.inBody = true;
      this.keepBody = this.trouble === null && wantsBody(Buffer.concat(this.headerParts));
      return null;
    }
    this.content(bytes);
    return null;
  }

  /** Bytes inside the current message. */
  private content(bytes: Buffer): null {
    if (!this.started) return null;
    this.size += bytes.length;
    if (!this.inBody) {
      this.append(bytes);
      return null;
    }
    if (this.keepBody && this.size <= MAX_MESSAGE_BYTES) {
      // mboxrd quoting: `>From ` in a body was `From `, one `>` more than written (RFC 4155 §2).
      const unquoted = bytes[0] === 62 && /^>+From /.test(bytes.toString('latin1', 0, Math.min(bytes.length, 64))) ? bytes.subarray(1) : bytes;
      this.bodyParts.push(Buffer.from(unquoted));
      this.bodyLength += unquoted.length;
    }
    return null;
  }

  private append(bytes: Buffer): void {
    if (this.trouble) return;
    this.headerLength += bytes.length;
    if (this.headerLength > MAX_HEADER_BYTES) {
      this.trouble = refusal('MAIL_MALFORMED', `no end of the header block in its first ${MAX_HEADER_BYTES} bytes`);
      this.headerParts = [];
      return;
    }
    this.headerParts.push(Buffer.from(bytes));
  }

  private finish(): RawMessage {
    const source = `${this.path}:${this.messageLine}`;
    const size = this.size;
    let out: RawMessage;
    if (this.size > MAX_MESSAGE_BYTES) out = problem(source, size, refusal('MAIL_TOO_LARGE', `the message is ${size} bytes, over the bound of ${MAX_MESSAGE_BYTES}`));
    else if (this.trouble) out = problem(source, size, this.trouble);
    else {
      // The line break before the next separator belongs to the separator (RFC 4155 §2).
      const body = this.keepBody ? Buffer.concat(this.bodyParts, this.bodyLength) : null;
      out = { source, header: Buffer.concat(this.headerParts, this.headerLength), body, size, problem: null };
    }
    this.headerParts = [];
    this.headerLength = 0;
    this.inBody = false;
    this.keepBody = false;
    this.bodyParts = [];
    this.bodyLength = 0;
    this.size = 0;
    this.trouble = null;
    return out;
  }
}
