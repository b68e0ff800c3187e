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

/** A listing keeps the most restrictive label of its active sources (the highest rank). */
export function mostRestrictive(a: TlpRank, b: TlpRank): TlpRank {
  return a > b ? a : b;
}

/**
 * Who a listing of this label reaches (issue 16, item 2):
 * - `everyone`: clear and green — every subscriber, the DNSBL, the public lookup page;
 * - `domestic`: amber — only subscribers whose scope lies inside this centre's jurisdiction, and
 *   only for the part of the listing inside it;
 * - `centre`: amber+strict and red — never leave the receiving centre (operator views and its
 *   own jurisdiction list).
 */
export type TlpAudience = 'everyone' | 'domestic' | 'centre';

export function tlpAudience(rank: number): TlpAudience {
  if (rank <= TLP_GREEN) return 'everyone';
  if (rank === TLP_AMBER) return 'domestic';
  return 'centre';
}

/** True when a listing of this rank may be served to anyone who may see the list at all. */
export function reachesEveryone(rank: number | null | undefined): boolean {
  return rank === null || rank === undefined || rank <= TLP_GREEN;
}
