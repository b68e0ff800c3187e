import { decimal32, dottedQuad, ipv6Words } from './address-bytes.js';
import { fieldText, originDataError } from './origin-data-error.js';
import { familyRanges, packCountry, type FamilyRanges } from './origin-ranges.js';

/** What one delegated-extended file held, from its version line and its rows. */
export interface DelegatedInfo {
  readonly file: string;
  /** The version line's registry, e.g. `apnic`. */
  readonly registry: string;
  /** The version line's serial as written. */
  readonly serial: string;
  /** The file's date, YYYY-MM-DD: the serial's (or else the end date's) YYYYMMDD. */
  readonly date: string;
  /** Record lines by type. */
  readonly ipv4: number;
  readonly ipv6: number;
  readonly asn: number;
}

/** Where a set of delegated files goes: country and registry ranges, registries named once for all files. */
export interface DelegatedTarget {
  readonly country: FamilyRanges;
  readonly registry: FamilyRanges;
  /** Registry names; a registry range's value is 1 + its index here. */
  readonly registries: string[];
}

export function delegatedTarget(): DelegatedTarget {
  return { country: familyRanges(), registry: familyRanges(), registries: [] };
}

const PIPE = 0x7c;
const LF = 0x0a;
const CR = 0x0d;
const MAX_FIELDS = 16;
const STATUSES = new Set(['allocated', 'assigned', 'available', 'reserved']);
const REGISTRY_RE = /^[a-z][a-z0-9-]{1,15}$/;
const VERSION_RE = /^\d+(\.\d+)?$/;
const DATE_RE = /^(\d{4})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$/;

/**
 * A RIR delegated-extended statistics file (the RIR statistics exchange format), read from bytes
 * a chunk of whole lines at a time: comments (`#`), then the version line
 * (`2|apnic|20261205|records|start|end|+1000`), summary lines (`apnic|*|ipv4|*|count|summary`),
 * and records `registry|cc|type|start|value|date|status[|opaque-id|…]`. An IPv4 record's value is
 * an address count (any count, not only powers of two), an IPv6 record's a prefix length; `asn`
 * records are counted, not routed. Every record gives its registry; only allocated or assigned
 * records with a real country (not empty, not ZZ) give a country. A summary's count must match
 * the records of its type, so a truncated download is refused. Any malformed line throws
 * ORIGINS_INVALID with the file, the line and why, quoting at most a clipped field.
 */
export class DelegatedParser {
  line = 0;
  private version: { registry: string; serial: string; date: string } | null = null;
  private readonly counts = { ipv4: 0, ipv6: 0, asn: 0 };
  private readonly summaries: { type: 'ipv4' | 'ipv6' | 'asn'; count: number; line: number }[] = [];
  private readonly starts = new Int32Array(MAX_FIELDS);
  private readonly ends = new Int32Array(MAX_FIELDS);
  private fields = 0;

  constructor(
    private readonly file: string,
    private readonly into: DelegatedTarget,
  ) {}

  /** Reads the whole lines in bytes[from, to): `to` is just past a line feed, or the end of the data. */
  feed(b: Uint8Array, from: number, to: number): void {
    let p = from;
    while (p < to) {
      let eol = p;
      while (eol < to && b[eol] !== LF) eol++;
      this.line++;
      const end = eol > p && b[eol - 1] === CR ? eol - 1 : eol;
      if (end > p && b[p] !== 0x23) this.record(b, p, end);
      p = eol + 1;
    }
  }

  /** Checks the summaries against the records and returns what the file held. */
  finish(): DelegatedInfo {
    if (this.version === null) throw originDataError(this.file, Math.max(1, this.line), 'no version line: not a delegated statistics file');
    for (const s of this.summaries) {
      if (s.count !== this.counts[s.type]) {
        throw originDataError(this.file, s.line, `the summary counts ${s.count} ${s.type} records, the file has ${this.counts[s.type]} (truncated?)`);
      }
    }
    return { file: this.file, ...this.version, ...this.counts };
  }

  private record(b: Uint8Array, p: number, end: number): void {
    this.split(b, p, end);
    const text = (k: number) => this.text(b, k);
    if (this.version === null) return this.versionLine(b, text);
    if (this.fields === 6 && text(1) === '*' && text(5) === 'summary') {
      const type = text(2);
      const count = decimal32(b, this.starts[4]!, this.ends[4]!);
      if ((type !== 'ipv4' && type !== 'ipv6' && type !== 'asn') || count < 0) throw this.error(`"${fieldText(b, p, end)}" is not a summary line`);
      this.summaries.push({ type, count, line: this.line });
      return;
    }
    if (this.fields < 7) throw this.error(`expected at least 7 "|"-separated fields, found ${this.fields}`);
    const registry = text(0);
    if (!REGISTRY_RE.test(registry)) throw this.error(`"${fieldText(b, this.starts[0]!, this.ends[0]!)}" is not a registry name`);
    const type = text(2);
    const status = text(6);
    if (type === 'asn') {
      this.counts.asn++;
      return;
    }
    if (type !== 'ipv4' && type !== 'ipv6') throw this.error(`"${fieldText(b, this.starts[2]!, this.ends[2]!)}" is not a record type (ipv4, ipv6, asn)`);
    if (!STATUSES.has(status)) throw this.error(`"${fieldText(b, this.starts[6]!, this.ends[6]!)}" is not a status (allocated, assigned, available, reserved)`);
    const ccFrom = this.starts[1]!;
    const ccLength = this.ends[1]! - ccFrom;
    const a = b[ccFrom]!;
    const c = b[ccFrom + 1]!;
    if (ccLength !== 0 && (ccLength !== 2 || a < 0x41 || a > 0x5a || c < 0x41 || c > 0x5a)) {
      throw this.error(`"${fieldText(b, ccFrom, this.ends[1]!)}" is not a country code (two capital letters, or empty)`);
    }
    const held = status === 'allocated' || status === 'assigned';
    const country = held && ccLength === 2 && !(a === 0x5a && c === 0x5a) ? packCountry(a, c) : 0;
    const reg = this.registryIndex(registry);
    if (type === 'ipv4') this.ipv4(b, country, reg);
    else this.ipv6(b, country, reg);
  }

  private ipv4(b: Uint8Array, country: number, registry: number): void {
    const start = dottedQuad(b, this.starts[3]!, this.ends[3]!);
    if (start < 0) throw this.error(`"${fieldText(b, this.starts[3]!, this.ends[3]!)}" is not an IPv4 address`);
    const count = decimal32(b, this.starts[4]!, this.ends[4]!);
    if (count < 1) throw this.error(`"${fieldText(b, this.starts[4]!, this.ends[4]!)}" is not an address count`);
    const end = start + count - 1;
    if (end > 0xffffffff) throw this.error(`${count} addresses from ${this.text(b, 3)} run past 255.255.255.255`);
    this.counts.ipv4++;
    if (country !== 0) this.into.country.v4.push4(start, end, country);
    this.into.registry.v4.push4(start, end, registry);
  }

  private ipv6(b: Uint8Array, country: number, registry: number): void {
    const list = this.into.registry.v6;
    const k = list.reserve();
    if (!ipv6Words(b, this.starts[3]!, this.ends[3]!, list.starts, k * 4)) {
      list.drop();
      throw this.error(`"${fieldText(b, this.starts[3]!, this.ends[3]!)}" is not an IPv6 address`);
    }
    const length = decimal32(b, this.starts[4]!, this.ends[4]!);
    if (length < 0 || length > 128 || this.ends[4]! - this.starts[4]! > 3) {
      list.drop();
      throw this.error(`"${fieldText(b, this.starts[4]!, this.ends[4]!)}" is not an IPv6 prefix length`);
    }
    for (let w = 0; w < 4; w++) {
      const bits = Math.max(0, Math.min(32, length - 32 * w));
      const host = bits === 32 ? 0 : 0xffffffff >>> bits;
      const word = list.starts[k * 4 + w]!;
      if ((word & host) !== 0) {
        list.drop();
        throw this.error(`${this.text(b, 3)}/${length} has host bits set`);
      }
      list.ends[k * 4 + w] = (word | host) >>> 0;
    }
    list.values[k] = registry;
    this.counts.ipv6++;
    if (country === 0) return;
    const into = this.into.country.v6;
    const j = into.reserve();
    for (let w = 0; w < 4; w++) {
      into.starts[j * 4 + w] = list.starts[k * 4 + w]!;
      into.ends[j * 4 + w] = list.ends[k * 4 + w]!;
    }
    into.values[j] = country;
  }

  private versionLine(b: Uint8Array, text: (k: number) => string): void {
    const version = text(0);
    const registry = this.fields > 1 ? text(1) : '';
    if (!VERSION_RE.test(version) || !REGISTRY_RE.test(registry) || this.fields < 3) {
      throw this.error(`"${fieldText(b, this.starts[0]!, this.ends[this.fields - 1]!)}" is not a version line (version|registry|serial|…)`);
    }
    const serial = text(2);
    const dated = [serial, this.fields > 5 ? text(5) : ''].map((t) => DATE_RE.exec(t)).find((m) => m !== null);
    if (!dated) throw this.error(`the version line has no date: serial "${fieldText(b, this.starts[2]!, this.ends[2]!)}" is not YYYYMMDD`);
    this.version = { registry, serial, date: `${dated[1]}-${dated[2]}-${dated[3]}` };
  }

  private registryIndex(name: string): number {
    let i = this.into.registries.indexOf(name);
    if (i < 0) {
      if (this.into.registries.length >= 255) throw this.error('more than 255 registries');
      i = this.into.registries.push(name) - 1;
    }
    return i + 1;
  }

  /** Field boundaries of bytes[p, end) into starts/ends; fields past MAX_FIELDS are refused. */
  private split(b: Uint8Array, p: number, end: number): void {
    let n = 0;
    this.starts[0] = p;
    for (let i = p; i < end; i++) {
      if (b[i] !== PIPE) continue;
      if (n + 1 >= MAX_FIELDS) throw this.error(`more than ${MAX_FIELDS} "|"-separated fields`);
      this.ends[n] = i;
      this.starts[++n] = i + 1;
    }
    this.ends[n] = end;
    this.fields = n + 1;
  }

  /** Field k as text (short fields only: names, types, statuses; never a long line). */
  private text(b: Uint8Array, k: number): string {
    const from = this.starts[k]!;
    const to = Math.min(this.ends[k]!, from + 40);
    let s = '';
    for (let i = from; i < to; i++) s += String.fromCharCode(b[i]!);
    return this.ends[k]! - from > 40 ? `${s}…` : s;
  }

  private error(reason: string): Error {
    return originDataError(this.file, this.line, reason);
  }
}

/** A whole delegated-extended file at once (tests, small files). */
export function parseDelegatedExtended(data: Uint8Array | string, file: string, into: DelegatedTarget = delegatedTarget()): { info: DelegatedInfo; into: DelegatedTarget } {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const parser = new DelegatedParser(file, into);
  parser.feed(bytes, 0, bytes.length);
  return { info: parser.finish(), into };
}
