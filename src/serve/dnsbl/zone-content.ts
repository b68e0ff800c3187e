import type { Answer } from 'dns-packet';
import { ClusterCollector, clusterNames, pieceOfKey, pieceRange, type ZoneName, type ZonePiece } from '../../core/dns-zone-records.js';
import { prefixKey } from '../../core/prefix.js';
import { reachesEveryone } from '../../core/tlp.js';
import type { ZonePieceRow, ZoneSnapshot } from '../../store/zone-pieces.js';
import { TEST_POINT_TXT, txtStrings } from './dnsbl-query.js';
import { LISTED_A } from './dnsbl-zone.js';

/*
 * The zone's records as a secondary holds them (core/dns-zone-records.ts makes the names), read
 * from one store snapshot: all of them for AXFR, a generator so that a million pieces never sit
 * in memory at once; and the difference since an older serial for IXFR (RFC 1995).
 */

export interface ZoneText {
  readonly zone: string;
  readonly ttl: number;
  readonly publicUrl: string;
}

/** RFC 5782 §5: the test points, always listed, with the text the node's own DNSBL answers (TEST_POINT_TXT). */
const TEST_POINT_NAMES = ['2.0.0.127', `2.0.0.0.0.0.f.7.f.f.f.f.${'0.'.repeat(20)}0`];

/**
 * The TXT of a name. An address's own name says exactly what the node's DNSBL says
 * (dnsbl-query.ts). A wildcard answers every address under it with the same data (RFC 4592
 * §2.1.1 synthesizes the RDATA as it stands), so its link cannot name the asked address: it
 * points at the lookup form instead; the sources are the same as the node's answer.
 */
export function txtOf(name: ZoneName, text: ZoneText): string {
  if (name.structure) return STRUCTURE_TXT;
  return name.address === undefined ? `Listed by ${name.sources}; see ${text.publicUrl}/lookup` : `Listed by ${name.sources}; see ${text.publicUrl}/lookup/${name.address}`;
}

/** What a structure name says (core/dns-zone-records.ts: it makes its parent exist, for IPv6 names' sake). */
const STRUCTURE_TXT = 'spamx zone structure: keeps IPv6 names off an IPv4 wildcard (RFC 4592 closest encloser)';

/** The A and TXT records of one name (a structure name: its TXT only). */
export function recordsOf(name: ZoneName, text: ZoneText): Answer[] {
  const owner = `${name.owner}.${text.zone}`;
  if (name.structure) return [{ type: 'TXT', name: owner, ttl: text.ttl, data: txtStrings(STRUCTURE_TXT) }];
  return [
    { type: 'A', name: owner, ttl: text.ttl, data: LISTED_A },
    { type: 'TXT', name: owner, ttl: text.ttl, data: txtStrings(txtOf(name, text)) },
  ];
}

function testPointRecords(text: ZoneText): Answer[] {
  return TEST_POINT_NAMES.flatMap((owner) => [
    { type: 'A', name: `${owner}.${text.zone}`, ttl: text.ttl, data: LISTED_A } as Answer,
    { type: 'TXT', name: `${owner}.${text.zone}`, ttl: text.ttl, data: txtStrings(TEST_POINT_TXT) } as Answer,
  ]);
}

function visiblePiece(row: ZonePieceRow): ZonePiece | undefined {
  return reachesEveryone(row[2]) ? pieceOfKey(row[0], row[1]) : undefined;
}

/**
 * Every record of the zone but the SOA (the transfer puts it first and last): the apex NS, the
 * test points, then each cluster's names, read from the snapshot a piece at a time.
 */
export function* zoneRecords(snapshot: ZoneSnapshot, text: ZoneText, nameserver: string): Generator<Answer> {
  yield { type: 'NS', name: text.zone, ttl: text.ttl, data: nameserver };
  yield* testPointRecords(text);
  let ready: ZonePiece[][] = [];
  const collector = new ClusterCollector((cluster) => ready.push(cluster));
  for (const row of snapshot.pieces()) {
    const piece = visiblePiece(row);
    if (!piece) continue;
    collector.add(piece);
    if (ready.length > 0) {
      const clusters = ready;
      ready = [];
      for (const cluster of clusters) for (const name of clusterNames(cluster)) yield* recordsOf(name, text);
    }
  }
  collector.finish();
  for (const cluster of ready) for (const name of clusterNames(cluster)) yield* recordsOf(name, text);
}

/** RFC 1995 §4's difference sequence between two versions: what to delete, then what to add. */
export interface ZoneDifference {
  readonly deleted: Answer[];
  readonly added: Answer[];
}

type PieceState = { sources: string; tlp: number | null } | null;

/** The first and last store key of a piece's range, for a key-range read of what lies inside. */
function keyBounds(piece: ZonePiece): [string, string] {
  const [start, end] = pieceRange(piece);
  const low = piece.family === 4 ? prefixKey(4, Number(start), 0) : prefixKey(6, start, 0);
  const high = piece.family === 4 ? prefixKey(4, Number(end), 0) : prefixKey(6, end, 0);
  return [low, `${high.slice(0, -2)}ff`];
}

/** The keys of every prefix holding this piece (itself included), shortest first. */
function containingKeys(piece: ZonePiece): string[] {
  const bits = piece.family === 4 ? 32 : 128;
  const keys: string[] = [];
  for (let length = 0; length <= piece.length; length++) {
    const mask = length === 0 ? 0n : ((1n << BigInt(length)) - 1n) << BigInt(bits - length);
    const start = piece.start & mask;
    keys.push(piece.family === 4 ? prefixKey(4, Number(start), length) : prefixKey(6, start, length));
  }
  return keys;
}

/**
 * The net change of the zone since change-log position `from` (RFC 1995 §4), or undefined when
 * the log cannot tell it (a piece's state at `from` is no longer in the kept log): the client
 * then gets the whole zone. Each change touches one region: the widest piece, then or now,
 * holding the changed one; a region's names depend only on the pieces inside it, so its names
 * then and now are made and compared record by record.
 */
export function zoneDifference(snapshot: ZoneSnapshot, from: number, text: ZoneText): ZoneDifference | undefined {
  const changes = snapshot.changesAfter(from);
  const firstAfter = new Map<string, (typeof changes)[number]>();
  for (const change of changes) if (!firstAfter.has(change.key)) firstAfter.set(change.key, change);
  // A piece's state at `from`: absent if its first change since was its addition; as removed if
  // its removal; otherwise as its last change at or before `from` left it.
  const before = new Map<string, PieceState>();
  const unknown: string[] = [];
  for (const [key, change] of firstAfter) {
    if (change.op === 'added') before.set(key, null);
    else if (change.op === 'removed') before.set(key, change.sources === null ? null : { sources: change.sources, tlp: change.tlp });
    else unknown.push(key);
  }
  if (unknown.length > 0) {
    const found = new Map(snapshot.lastChangesThrough(from, unknown).map((row) => [row.key, row]));
    for (const key of unknown) {
      const row = found.get(key);
      if (!row || row.op === 'removed' || row.sources === null) return undefined;
      before.set(key, { sources: row.sources, tlp: row.tlp });
    }
  }
  const visibleThen = (key: string, now: ZonePieceRow | undefined): ZonePiece | undefined => {
    if (!before.has(key)) return now ? visiblePiece(now) : undefined;
    const state = before.get(key)!;
    return state && reachesEveryone(state.tlp) ? pieceOfKey(key, state.sources) : undefined;
  };
  // The regions: per changed piece, the widest piece holding it in either version.
  const regions: ZonePiece[] = [];
  const changed = [...firstAfter.keys()].map((key) => pieceOfKey(key, '')).filter((p): p is ZonePiece => p !== undefined);
  const candidates = changed.map(containingKeys);
  const current = new Map(snapshot.piecesWithKeys([...new Set(candidates.flat())]).map((row) => [row[0], row]));
  for (const keys of candidates) {
    for (const key of keys) {
      const now = current.get(key);
      const top = (now ? visiblePiece(now) : undefined) ?? visibleThen(key, now);
      if (top) {
        regions.push(top);
        break;
      }
    }
  }
  regions.sort((a, b) => a.family - b.family || (a.start < b.start ? -1 : a.start > b.start ? 1 : a.length - b.length));
  // In this order the regions kept are disjoint, so one inside any of them is inside the last.
  const merged: ZonePiece[] = [];
  for (const region of regions) {
    const last = merged[merged.length - 1];
    if (!last || region.family !== last.family || region.start > pieceRange(last)[1]) merged.push(region);
  }
  const beforeKeys = [...before.keys()].sort();
  const deleted: Answer[] = [];
  const added: Answer[] = [];
  for (const region of merged) {
    const [low, high] = keyBounds(region);
    const rows = snapshot.piecesBetween(low, high);
    const nowPieces = rows.map(visiblePiece).filter((p): p is ZonePiece => p !== undefined);
    const rowByKey = new Map(rows.map((row) => [row[0], row]));
    const thenKeys = new Set(rows.map((row) => row[0]));
    for (let i = firstAtLeast(beforeKeys, low); i < beforeKeys.length && beforeKeys[i]! <= high; i++) thenKeys.add(beforeKeys[i]!);
    const thenPieces = [...thenKeys]
      .sort()
      .map((key) => visibleThen(key, rowByKey.get(key)))
      .filter((p): p is ZonePiece => p !== undefined);
    const then = recordMap(namesOf(thenPieces), text);
    const now = recordMap(namesOf(nowPieces), text);
    for (const [id, record] of then) if (!now.has(id)) deleted.push(record);
    for (const [id, record] of now) if (!then.has(id)) added.push(record);
  }
  return { deleted, added };
}

/** The index of the first key not below `key` in sorted `keys` (binary search). */
function firstAtLeast(keys: readonly string[], key: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (keys[mid]! < key) low = mid + 1;
    else high = mid;
  }
  return low;
}

function namesOf(pieces: readonly ZonePiece[]): ZoneName[] {
  const names: ZoneName[] = [];
  const collector = new ClusterCollector((cluster) => names.push(...clusterNames(cluster)));
  for (const piece of pieces) collector.add(piece);
  collector.finish();
  return names;
}

/** Records by identity (owner, type and data), for comparing two versions. */
function recordMap(names: readonly ZoneName[], text: ZoneText): Map<string, Answer> {
  const map = new Map<string, Answer>();
  for (const name of names) {
    for (const record of recordsOf(name, text)) map.set(`${name.owner} ${record.type} ${record.type === 'TXT' ? txtOf(name, text) : ''}`, record);
  }
  return map;
}
