/**
 * RFC 8941 Structured Field Values: the Dictionary, Inner List, Item and Parameters that RFC 9421
 * signature headers are made of. Parsing follows §4.2 step by step, with one deliberate
 * strictness: a repeated dictionary key or parameter name is refused (RFC 8941 lets the last one
 * win), because two readers of a `Signature-Input` carrying `sig1` twice could disagree on which
 * signature was meant. Linear in the input: one pass, no regular expression backtracking.
 */

export type BareItem =
  | { readonly type: 'integer' | 'decimal'; readonly value: number }
  | { readonly type: 'string' | 'token'; readonly value: string }
  | { readonly type: 'bytes'; readonly value: Buffer }
  | { readonly type: 'boolean'; readonly value: boolean };

/** Parameters in the order they were written (RFC 8941 §3.1.2: an ordered map). */
export type Parameters = readonly (readonly [string, BareItem])[];

export interface Item {
  readonly kind: 'item';
  readonly value: BareItem;
  readonly params: Parameters;
}

export interface InnerList {
  readonly kind: 'inner-list';
  readonly items: readonly Item[];
  readonly params: Parameters;
}

export type Dictionary = ReadonlyMap<string, Item | InnerList>;

/** Why a field value is not a Structured Field; the caller turns it into its own coded error. */
export class StructuredFieldError extends Error {
  override readonly name = 'StructuredFieldError';
}

const DIGIT = /^[0-9]$/;
const ALPHA = /^[A-Za-z]$/;
const LCALPHA = /^[a-z]$/;
const KEY_CHAR = /^[a-z0-9_.*-]$/;
// tchar (RFC 9110 §5.6.2), plus ":" and "/" which tokens may also hold (RFC 8941 §3.3.4).
const TOKEN_CHAR = /^[!#$%&'*+.^_`|~0-9A-Za-z:/-]$/;
const BASE64_CHAR = /^[A-Za-z0-9+/=]$/;

/** RFC 8941 §4.2 with §4.2.2: the whole field value as a Dictionary. */
export function parseDictionary(text: string): Dictionary {
  const p = new Parser(text);
  p.skipSpaces();
  const dict = new Map<string, Item | InnerList>();
  while (!p.done()) {
    const key = p.key();
    if (dict.has(key)) throw new StructuredFieldError(`the key "${key}" appears twice`);
    let member: Item | InnerList;
    if (p.peek() === '=') {
      p.next();
      member = p.peek() === '(' ? p.innerList() : p.item();
    } else {
      member = { kind: 'item', value: { type: 'boolean', value: true }, params: p.params() };
    }
    dict.set(key, member);
    p.skipOws();
    if (p.done()) break;
    if (p.next() !== ',') throw p.fail('expected "," between members');
    p.skipOws();
    if (p.done()) throw p.fail('a trailing ","');
  }
  return dict;
}

class Parser {
  private i = 0;
  constructor(private readonly s: string) {
    // §4.2 step 1: a field value that is not ASCII is not a Structured Field.
    for (let j = 0; j < s.length; j++) if (s.charCodeAt(j) > 0x7e) throw new StructuredFieldError('a character outside ASCII');
  }
  done(): boolean {
    return this.i >= this.s.length;
  }
  peek(): string {
    return this.s[this.i] ?? '';
  }
  next(): string {
    return this.s[this.i++] ?? '';
  }
  fail(why: string): StructuredFieldError {
    return new StructuredFieldError(`${why} at character ${this.i}`);
  }
  skipSpaces(): void {
    while (this.peek() === ' ') this.i++;
  }
  skipOws(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.i++;
  }

  /** §4.2.3.3 */
  key(): string {
    const start = this.i;
    if (!LCALPHA.test(this.peek()) && this.peek() !== '*') throw this.fail('expected a key (a lowercase letter or "*")');
    while (KEY_CHAR.test(this.peek())) this.i++;
    return this.s.slice(start, this.i);
  }

  /** §4.2.1.2 */
  innerList(): InnerList {
    this.next(); // "("
    const items: Item[] = [];
    for (;;) {
      this.skipSpaces();
      if (this.peek() === ')') {
        this.next();
        return { kind: 'inner-list', items, params: this.params() };
      }
      if (this.done()) throw this.fail('an inner list without ")"');
      items.push(this.item());
      if (this.peek() !== ' ' && this.peek() !== ')') throw this.fail('expected " " or ")" in an inner list');
    }
  }

  /** §4.2.3 */
  item(): Item {
    return { kind: 'item', value: this.bareItem(), params: this.params() };
  }

  /** §4.2.3.2 */
  params(): Parameters {
    const params: [string, BareItem][] = [];
    const keys = new Set<string>();
    while (this.peek() === ';') {
      this.next();
      this.skipSpaces();
      const key = this.key();
      if (keys.has(key)) throw this.fail(`the parameter "${key}" appears twice`);
      keys.add(key);
      let value: BareItem = { type: 'boolean', value: true };
      if (this.peek() === '=') {
        this.next();
        value = this.bareItem();
      }
      params.push([key, value]);
    }
    return params;
  }

  /** §4.2.3.1 */
  bareItem(): BareItem {
    const c = this.peek();
    if (c === '-' || DIGIT.test(c)) return this.number();
    if (c === '"') return this.string();
    if (ALPHA.test(c) || c === '*') return this.token();
    if (c === ':') return this.bytes();
    if (c === '?') return this.boolean();
    throw this.fail(c === '' ? 'a value is missing' : `unexpected character ${JSON.stringify(c)}`);
  }

  /** §4.2.4: at most 15 integer digits; a decimal has at most 12 before "." and 1 to 3 after. */
  private number(): BareItem {
    const negative = this.peek() === '-';
    if (negative) this.i++;
    if (!DIGIT.test(this.peek())) throw this.fail('expected a digit');
    let digits = '';
    let decimal = false;
    for (;;) {
      const c = this.peek();
      if (DIGIT.test(c)) digits += c;
      else if (c === '.' && !decimal) {
        if (digits.length > 12) throw this.fail('a decimal with more than 12 integer digits');
        decimal = true;
        digits += c;
      } else break;
      this.i++;
      if (digits.length > (decimal ? 16 : 15)) throw this.fail('a number too long');
    }
    const sign = negative ? -1 : 1;
    if (!decimal) return { type: 'integer', value: sign * Number(digits) };
    const fraction = digits.length - digits.indexOf('.') - 1;
    if (fraction < 1 || fraction > 3) throw this.fail('a decimal needs 1 to 3 fractional digits');
    return { type: 'decimal', value: sign * Number(digits) };
  }

  /** §4.2.5 */
  private string(): BareItem {
    this.next();
    let out = '';
    for (;;) {
      if (this.done()) throw this.fail('a string without its closing quote');
      const c = this.next();
      if (c === '"') return { type: 'string', value: out };
      if (c === '\\') {
        const e = this.next();
        if (e !== '"' && e !== '\\') throw this.fail('only \\" and \\\\ may be escaped in a string');
        out += e;
      } else if (c < ' ' || c > '~') {
        throw this.fail('a control character in a string');
      } else {
        out += c;
      }
    }
  }

  /** §4.2.6 */
  private token(): BareItem {
    const start = this.i;
    this.i++;
    while (TOKEN_CHAR.test(this.peek())) this.i++;
    return { type: 'token', value: this.s.slice(start, this.i) };
  }

  /** §4.2.7; unpadded base64 is accepted, as the section advises. */
  private bytes(): BareItem {
    this.next();
    const start = this.i;
    while (BASE64_CHAR.test(this.peek())) this.i++;
    if (this.peek() !== ':') throw this.fail('a byte sequence without its closing ":"');
    const b64 = this.s.slice(start, this.i);
    this.next();
    const unpadded = b64.replace(/=+$/, '');
    if (unpadded.includes('=') || unpadded.length % 4 === 1) throw this.fail('a byte sequence that is not base64');
    return { type: 'bytes', value: Buffer.from(unpadded, 'base64') };
  }

  /** §4.2.8 */
  private boolean(): BareItem {
    this.next();
    const c = this.next();
    if (c !== '1' && c !== '0') throw this.fail('a boolean is ?1 or ?0');
    return { type: 'boolean', value: c === '1' };
  }
}

/** RFC 8941 §4.1.3 for Items, §4.1.1.1 for Inner Lists, with their Parameters (§4.1.1.2). */
export function serializeMember(member: Item | InnerList): string {
  if (member.kind === 'item') return serializeBareItem(member.value) + serializeParams(member.params);
  return `(${member.items.map(serializeMember).join(' ')})${serializeParams(member.params)}`;
}

function serializeParams(params: Parameters): string {
  return params.map(([key, value]) => (value.type === 'boolean' && value.value ? `;${key}` : `;${key}=${serializeBareItem(value)}`)).join('');
}

export function serializeBareItem(item: BareItem): string {
  switch (item.type) {
    case 'integer':
      if (!Number.isSafeInteger(item.value) || Math.abs(item.value) > 999_999_999_999_999) throw new RangeError('an integer out of the RFC 8941 range');
      return String(item.value);
    case 'decimal': {
      const text = (Math.round(item.value * 1000) / 1000).toString();
      return text.includes('.') ? text : `${text}.0`;
    }
    case 'string':
      if (!/^[\x20-\x7e]*$/.test(item.value)) throw new RangeError('a string with characters outside printable ASCII');
      return `"${item.value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
    case 'token':
      return item.value;
    case 'bytes':
      return `:${item.value.toString('base64')}:`;
    case 'boolean':
      return item.value ? '?1' : '?0';
  }
}
