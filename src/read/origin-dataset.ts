import type { OriginTable } from '../core/origin-table.js';

/**
 * The origin data an answer was computed from (`dataset` in statistics and jurisdiction answers,
 * `origins` in status): one short id over every data set, and each set's name, date and SHA-256,
 * so two centres can tell whether they route from the same data.
 */
export function datasetOf(table: OriginTable) {
  return { id: table.digest, sets: table.datasets.map(({ name, date, sha256 }) => ({ name, date, sha256 })) };
}
