import { parsePrefix } from '../core/prefix.js';
import { specialPurposeRange } from '../core/special-purpose.js';

/**
 * The demo's reports: deterministic pseudo-random spam origins for each centre, delivered in
 * waves, plus a few lines every node must refuse and a few delistings. Everything here is pure;
 * the same seed always gives the same scenario, so the merged list it should end in is known.
 */

/** Lines sent with each centre's first report, which its node must refuse, and why. */
export const BAD_LINES: readonly (readonly [line: string, why: string])[] = [
  ['10.23.4.5', 'private (RFC 1918)'],
  ['192.168.1.20', 'private (RFC 1918)'],
  ['192.0.2.33', 'documentation (TEST-NET-1)'],
  ['198.51.100.0/24', 'documentation (TEST-NET-2)'],
  ['2001:db8::1', 'documentation (RFC 3849)'],
  ['not-an-ip', 'malformed'],
  ['61.4.12.1/24', 'host bits set below the length'],
  ['1.0.0.0/8', 'shorter than the minimum /16'],
];

export const WAVE_COUNT = 3;
/** Delistings are sent after this many waves (so before the last one). */
export const DELIST_AFTER_WAVE = 2;
const WAVE_SHARES = [0.5, 0.3]; // of each centre's prefixes; the last wave takes the rest

export interface DelistPlan {
  readonly centre: string;
  /** Prefixes this centre withdraws that another centre still lists: they stay listed. */
  readonly alsoListed: readonly { readonly prefix: string; readonly by: readonly string[] }[];
  /** Prefixes only this centre listed: they disappear from every merged list. */
  readonly onlyHere: readonly string[];
}

export interface Scenario {
  /** Per centre, the canonical prefixes it reports in each wave. */
  readonly waves: ReadonlyMap<string, readonly (readonly string[])[]>;
  readonly delists: readonly DelistPlan[];
  /** The merged list every node should end with, as a sorted list of canonical prefixes. */
  readonly expected: readonly string[];
  /** A listed address that several centres report, for the lookup example. */
  readonly sampleAddress: string;
}

/** mulberry32: a small seeded PRNG, good enough for made-up data. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

// First octets of blocks APNIC allocates from, so the addresses look like the region's.
const APNIC_OCTETS = [1, 14, 27, 36, 39, 42, 49, 58, 59, 60, 61, 101, 103, 106, 110, 111, 112, 113, 114, 115, 116, 117,
  118, 119, 120, 121, 122, 123, 124, 125, 175, 180, 182, 183, 202, 203, 210, 211, 218, 219, 220, 221, 222];
const V6_NETS = ['2400:cb00', '240e:3b0', '2001:b030', '2404:e800', '2400:4050'];

type Kind = 'v4' | 'v4net' | 'v6';

/** Generates distinct public unicast prefixes: anything special-purpose is drawn again. */
class PrefixSource {
  private readonly used = new Set<string>();
  constructor(private readonly random: () => number) {}

  next(kind: Kind): string {
    for (;;) {
      const text = this.candidate(kind);
      const parsed = parsePrefix(text);
      if (!parsed.ok || specialPurposeRange(parsed.prefix) || this.used.has(parsed.prefix.text)) continue;
      this.used.add(parsed.prefix.text);
      return parsed.prefix.text;
    }
  }

  many(counts: Readonly<Record<Kind, number>>): string[] {
    return (Object.entries(counts) as [Kind, number][]).flatMap(([kind, n]) => Array.from({ length: n }, () => this.next(kind)));
  }

  private candidate(kind: Kind): string {
    const byte = () => Math.floor(this.random() * 256);
    const hextet = () => (1 + Math.floor(this.random() * 0xffff)).toString(16);
    if (kind === 'v6') return `${this.pick(V6_NETS)}:${hextet()}:${hextet()}::${hextet()}`;
    // Mostly APNIC space, sometimes anywhere: the special-purpose filter has work to do.
    const first = this.random() < 0.8 ? this.pick(APNIC_OCTETS) : 1 + Math.floor(this.random() * 223);
    return kind === 'v4net' ? `${first}.${byte()}.${byte()}.0/24` : `${first}.${byte()}.${byte()}.${byte()}`;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function splitWaves(prefixes: readonly string[]): string[][] {
  const waves: string[][] = [];
  let start = 0;
  for (const share of WAVE_SHARES) {
    const end = start + Math.round(prefixes.length * share);
    waves.push(prefixes.slice(start, end));
    start = end;
  }
  waves.push(prefixes.slice(start));
  return waves;
}

/**
 * A shared pool of ~300 prefixes, of which each centre reports a random half (so centres
 * overlap), plus ~100 prefixes only that centre sees. Every second centre later delists three
 * prefixes another centre also lists and three only it listed.
 */
export function buildScenario(centres: readonly string[], seed: number): Scenario {
  const random = seededRandom(seed);
  const source = new PrefixSource(random);
  const shared = source.many({ v4: 260, v4net: 15, v6: 25 });
  const reported = new Map<string, string[]>();
  for (const id of centres) {
    const own = [...shared.filter(() => random() < 0.5), ...source.many({ v4: 85, v4net: 5, v6: 10 })];
    reported.set(id, shuffled(own, random));
  }
  const waves = new Map([...reported].map(([id, list]) => [id, splitWaves(list)]));

  // Who has listed what by the time delistings are sent.
  const earlyListers = new Map<string, string[]>();
  for (const [id, ws] of waves) {
    for (const p of ws.slice(0, DELIST_AFTER_WAVE).flat()) earlyListers.set(p, [...(earlyListers.get(p) ?? []), id]);
  }
  const allListers = new Map<string, string[]>();
  for (const [id, list] of reported) for (const p of list) allListers.set(p, [...(allListers.get(p) ?? []), id]);

  const delisting = centres.filter((_, i) => i % 2 === 1);
  const keepers = centres.filter((id) => !delisting.includes(id));
  const delists = delisting.map((id): DelistPlan => {
    const early = waves.get(id)!.slice(0, DELIST_AFTER_WAVE).flat();
    const alsoListed = early
      .filter((p) => earlyListers.get(p)!.some((c) => keepers.includes(c)))
      .slice(0, 3)
      .map((prefix) => ({ prefix, by: earlyListers.get(prefix)!.filter((c) => c !== id) }));
    const onlyHere = early.filter((p) => allListers.get(p)!.length === 1).slice(0, 3);
    return { centre: id, alsoListed, onlyHere };
  });

  const withdrawn = new Set(delists.flatMap((d) => [...d.alsoListed.map((a) => a.prefix), ...d.onlyHere].map((p) => `${d.centre} ${p}`)));
  const expected = new Set<string>();
  for (const [id, list] of reported) for (const p of list) if (!withdrawn.has(`${id} ${p}`)) expected.add(p);
  const byKey = (a: string, b: string) => sortKey(a).localeCompare(sortKey(b));

  const sample = shared.find((p) => p.endsWith('/32') && (allListers.get(p)?.length ?? 0) >= 3) ?? shared[0]!;
  return { waves, delists, expected: [...expected].sort(byKey), sampleAddress: sample.replace(/\/(32|128)$/, '') };
}

function sortKey(text: string): string {
  const parsed = parsePrefix(text);
  return parsed.ok ? parsed.prefix.key : text;
}

/** A report body: one address or prefix per line (bare addresses for single hosts), `#` comments. */
export function reportText(centre: string, wave: number, prefixes: readonly string[], withBadLines: boolean): string {
  const lines = [`# ${centre}: spam origins, wave ${wave}`, ...prefixes.map((p) => p.replace(/\/(32|128)$/, ''))];
  if (withBadLines) lines.push('# lines the node must refuse:', ...BAD_LINES.map(([line]) => line));
  return `${lines.join('\n')}\n`;
}
