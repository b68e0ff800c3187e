import type { OriginPiece, OriginScope } from './origin.js';
import type { CompiledScope, OriginTable } from './origin-table.js';
import { parsePrefix, prefixEnd, type Family } from './prefix.js';
import { scopeIsEmpty } from './scope-spec.js';

/**
 * How one read of the list is cut by origin: the scopes it is limited to (a request's
 * `country`/`asn`/`within` filters, a scoped key's scope: each a union, all of them at once) and
 * whether its rows carry their origin. A listed range is cut at registry boundaries, never judged
 * by its first address (PROTOCOL "Additions: origins").
 */
export interface OriginCut {
  readonly table: OriginTable;
  readonly scopes: readonly CompiledScope[];
  /** Rows carry `country` and `asn`, so each is cut where either changes. */
  readonly withOrigin: boolean;
}

/** The cut for `scopes` (empty ones dropped: an empty scope is no filter). */
export function originCut(table: OriginTable, scopes: readonly OriginScope[], withOrigin: boolean): OriginCut {
  return { table, scopes: scopes.filter((s) => !scopeIsEmpty(s)).map((s) => compiledScope(table, s)), withOrigin };
}

const compiled = new WeakMap<OriginTable, Map<string, CompiledScope>>();

/**
 * A scope's ranges in these tables, remembered per table: a country's ranges are thousands, and
 * a scoped key or a polled filter asks for the same scope on every request.
 */
export function compiledScope(table: OriginTable, scope: OriginScope): CompiledScope {
  let cache = compiled.get(table);
  if (!cache) compiled.set(table, (cache = new Map()));
  const id = JSON.stringify(scope);
  let c = cache.get(id);
  if (!c) {
    if (cache.size >= 256) cache.clear();
    cache.set(id, (c = table.compileScope(scope)));
  }
  return c;
}

/** True when any address of `address` (an address or prefix) is inside the scope. */
export function scopeCovers(table: OriginTable, scope: OriginScope, address: string): boolean {
  const parsed = parsePrefix(address);
  if (!parsed.ok) return true; // not an address: the lookup itself says what is wrong with it
  const p = parsed.prefix;
  return table.overlaps(p.family, p.start, prefixEnd(p), compiledScope(table, scope));
}

/** True when the cut changes nothing: every row passes whole, with no origin columns. */
export function cutIsNone(cut: OriginCut | undefined): boolean {
  return !cut || (cut.scopes.length === 0 && !cut.withOrigin);
}

/**
 * The pieces of one listed range that the cut keeps, each with one origin, in address order.
 * `text`, the range's own prefix text, spares formatting it when it comes out whole.
 */
export function cutRange(cut: OriginCut, family: Family, start: number | bigint, end: number | bigint, text?: string): readonly OriginPiece[] {
  const { table, scopes } = cut;
  if (scopes.length === 0) return table.split(family, start, end, text);
  let pieces = table.intersect(family, start, end, scopes[0]!, text);
  for (let i = 1; i < scopes.length && pieces.length > 0; i++) {
    const scope = scopes[i]!;
    pieces = pieces.flatMap((p: OriginPiece) => table.intersect(p.family, p.start, p.end, scope));
  }
  return pieces;
}

/**
 * The cut pieces of the listed range a store key names (`text` its prefix, if at hand), with no allocation
 * for the common answer of a filtered read: an IPv4 range outside a scope. The change stream cuts
 * every change of a page; building the range object first made a filtered page slower to serve
 * than an unfiltered one, which writes twenty times the prefixes.
 */
export function cutKey(cut: OriginCut, key: string, text?: string): readonly OriginPiece[] {
  if (key.charCodeAt(0) === 0x34 && cut.scopes.length > 0) {
    let start = 0;
    for (let i = 1; i < 9; i++) start = start * 16 + hexDigit(key.charCodeAt(i));
    const end = start + 2 ** (32 - (hexDigit(key.charCodeAt(9)) * 16 + hexDigit(key.charCodeAt(10)))) - 1;
    for (const scope of cut.scopes) if (!cut.table.overlaps(4, start, end, scope)) return NOTHING;
    return cutRange(cut, 4, start, end, text);
  }
  const { family, start, end } = keyRange(key);
  return cutRange(cut, family, start, end, text);
}

const NOTHING: readonly OriginPiece[] = Object.freeze([]);

/**
 * A listed range read from a store sort key (`core/prefix.ts` `prefixKey`: family digit, start in
 * hex, length in hex).
 */
export function keyRange(key: string): { family: Family; start: number | bigint; end: number | bigint } {
  if (key.charCodeAt(0) === 0x34) {
    // Digit by digit: parseInt over slices was a fifth of a CSV export.
    let start = 0;
    for (let i = 1; i < 9; i++) start = start * 16 + hexDigit(key.charCodeAt(i));
    const length = hexDigit(key.charCodeAt(9)) * 16 + hexDigit(key.charCodeAt(10));
    return { family: 4, start, end: start + 2 ** (32 - length) - 1 };
  }
  const start = BigInt(`0x${key.slice(1, 33)}`);
  const length = parseInt(key.slice(33, 35), 16);
  return { family: 6, start, end: start + (1n << BigInt(128 - length)) - 1n };
}

/** The value of a lower-case hex digit's character code (keys are written in lower case). */
function hexDigit(code: number): number {
  return code <= 0x39 ? code - 0x30 : code - 0x57;
}

/**
 * Pieces back in address order. Listed ranges come in key order but may nest (a /16 and a /24
 * inside it from another source), so the pieces cut from them can arrive out of order. Ranges
 * start in ascending order and every piece starts at or after its range's start, so a held piece
 * is released once a range starts after it; until then it waits (a range's own pieces, and those
 * of ranges nested in it).
 */
export class PieceOrder<T extends { readonly family: Family; readonly start: number | bigint }> {
  private held: T[] = [];
  private sorted = true;

  /** Adds the pieces of a range starting at `family`/`start`; yields what no later piece can precede. */
  *add(family: Family, start: number | bigint, pieces: readonly T[]): Generator<T> {
    if (this.held.length > 0) {
      if (!this.sorted) {
        this.held.sort(byStart);
        this.sorted = true;
      }
      let n = 0;
      while (n < this.held.length && before(this.held[n]!, family, start)) n++;
      if (n === this.held.length) {
        yield* this.held;
        this.held = [];
      } else if (n > 0) {
        yield* this.held.slice(0, n);
        this.held = this.held.slice(n);
      }
    }
    for (const p of pieces) {
      if (this.held.length > 0 && byStart(this.held[this.held.length - 1]!, p) > 0) this.sorted = false;
      this.held.push(p);
    }
  }

  *finish(): Generator<T> {
    if (!this.sorted) this.held.sort(byStart);
    yield* this.held;
    this.held = [];
    this.sorted = true;
  }
}

function before(p: { family: Family; start: number | bigint }, family: Family, start: number | bigint): boolean {
  return p.family < family || (p.family === family && p.start < start);
}

function byStart(a: { family: Family; start: number | bigint }, b: { family: Family; start: number | bigint }): number {
  if (a.family !== b.family) return a.family - b.family;
  return a.start < b.start ? -1 : a.start > b.start ? 1 : 0;
}

/** Ids a piece's cut parts take in decision streams: the piece's id times this, plus the part's index. */
export const CUT_ID_FACTOR = 4096;

/**
 * The cut parts of one listed piece that carries an id (a CrowdSec decision): part i gets id
 * `id × 4096 + i`, the same for the same piece and origin data whenever it is cut, so a deletion
 * names the ids its additions were sent under. Parts past the 4,096th of one piece (a listed
 * range cut into more registry pieces than that) are dropped rather than collide.
 */
export function cutIdentified<T extends { readonly id: number; readonly prefix: string }>(cut: OriginCut, piece: T): T[] {
  const parsed = parsePrefix(piece.prefix);
  if (!parsed.ok) return [];
  const p = parsed.prefix;
  const parts = cutRange(cut, p.family, p.start, prefixEnd(p));
  return parts.slice(0, CUT_ID_FACTOR).map((part, i) => ({ ...piece, id: piece.id * CUT_ID_FACTOR + i, prefix: part.prefix }));
}
