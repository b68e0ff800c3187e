import { SpamxError } from './errors.js';

/**
 * Distribution labels (PROTOCOL "Additions: partners only", batch member `tlp`): FIRST's Traffic
 * Light Protocol 2.0, ordered from least to most restrictive. Stored as the rank (an integer
 * column compares and takes a maximum in SQL without a lookup table); shown and sent as the name.
 */
export const TLP_LABELS = ['clear', 'green', 'amber', 'amber+strict', 'red'] as const;
export type TlpLabel = (typeof TLP_LABELS)[number];

/** A label's rank: 0 clear … 4 red. */
export type TlpRank = 0 | 1 | 2 | 3 | 4;

export const TLP_CLEAR: TlpRank = 0;
export const TLP_GREEN: TlpRank = 1;
export const TLP_AMBER: TlpRank = 2;
export const TLP_AMBER_STRICT: TlpRank = 3;
export const TLP_RED: TlpRank = 4;

/** What a batch without `tlp`, from a publisher without a configured default, is treated as. */
export const DEFAULT_TLP: TlpLabel = 'green';

export function isTlpLabel(value: unknown): value is TlpLabel {
  return typeof value === 'string' && (TLP_LABELS as readonly string[]).includes(value);
}

export function tlpRank(label: TlpLabel): TlpRank {
  return TLP_LABELS.indexOf(label) as TlpRank;
}

export function tlpName(rank: number): TlpLabel {
  const label = TLP_LABELS[rank];
  if (label === undefined) throw new RangeError(`no TLP label has rank ${rank}`);
  return label;
}

/** Parses a label given by a user or a config file; `where` names the place for the error. */
export function parseTlp(value: string, where: string): TlpLabel {
  const v = value.trim().toLowerCase().replace(/^tlp:/, '');
  if (isTlpLabel(v)) return v;
  throw new SpamxError('BAD_REQUEST', `${where}: "${value}" is not a TLP 2.0 label; use one of ${TLP_LABELS.join(', ')}`);
}

/** True when a listing of this rank may be served to anyone who may see the list at all. */
export function reachesEveryone(rank: number | null | undefined): boolean {
  return rank === null || rank === undefined || rank <= TLP_GREEN;
}

/**
 * A received batch's label (its `tlp` member). Absent means a publisher that predates labels
 * (spamx always writes `tlp` since), read as green, what such a publisher's data always was. A
 * value that is not a TLP 2.0 label is read as red, the most restrictive: failing closed keeps a
 * publisher's mistake from spreading its data wider than meant, while its authentic batch still
 * takes its place in the log and the feed goes on (a label never makes a batch inauthentic).
 * `note` then says what was read, for the refusal recorded against the batch (TLP_UNKNOWN).
 */
export function batchTlp(value: unknown): { rank: TlpRank; note?: string } {
  if (value === undefined) return { rank: TLP_GREEN };
  if (isTlpLabel(value)) return { rank: tlpRank(value) };
  const shown = JSON.stringify(value) ?? String(value);
  return { rank: TLP_RED, note: `batch "tlp" ${shown.length > 40 ? `${shown.slice(0, 40)}…` : shown} is not a TLP 2.0 label (${TLP_LABELS.join(', ')}); its entries are held as red` };
}

/**
 * Who is reading a surface, as far as labels go:
 * - `everyone`: an anonymous reader, a whole-list subscriber key, the DNSBL, the public lookup
 *   page — sees clear and green only;
 * - `scoped`: a subscriber key with a scope — also sees amber, cut to its scope and to this
 *   centre's jurisdiction (when the centre has one);
 * - `operator`: this centre's operator — sees every label, with the label shown.
 * Amber+strict and red thus never leave the receiving centre (operator views and its own
 * jurisdiction list).
 */
export type TlpReader = 'everyone' | 'scoped' | 'operator';
