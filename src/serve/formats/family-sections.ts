import { isV6, type BlocklistMeta, type BlocklistRow } from './format.js';

export interface FamilySection {
  readonly family: 4 | 6;
  /** This family's rows; read it to the end before taking the next section. */
  readonly rows: Iterable<BlocklistRow>;
}

/**
 * The rows cut into one section per family the query covers (both unless `family=` chose one),
 * IPv4 first as the export orders them. Every section is there even when it has no rows, so a
 * firewall set a subscriber's rules name is always defined, and emptied when nothing is listed.
 */
export function* familySections(rows: Iterable<BlocklistRow>, meta: BlocklistMeta): Generator<FamilySection> {
  const it = rows[Symbol.iterator]();
  let next = it.next();
  const families: (4 | 6)[] = meta.family === undefined ? [4, 6] : [meta.family];
  for (const family of families) {
    yield {
      family,
      rows: {
        *[Symbol.iterator]() {
          for (; !next.done; next = it.next()) {
            const rowFamily = isV6(next.value.prefix) ? 6 : 4;
            if (rowFamily > family) return;
            if (rowFamily === family) yield next.value;
          }
        },
      },
    };
  }
}
