import type { OriginStats } from '../../read/origin-stats.js';
import type { ServeDeps } from '../deps.js';

const TOP = 20;

export type OriginSeries = Awaited<ReturnType<ReturnType<typeof originSeries>>>;

/**
 * Listings by origin country (the top 20), the share in the centre's own country (config
 * `country`) and the top networks (AS), from the statistics `GET /v1/stats` answers
 * (read/origin-stats.ts: one count over the served list per change of it, on the export threads).
 * A piece straddling countries counts in each for its part, so the share is of those counts.
 */
export function originSeries(deps: ServeDeps, stats: OriginStats) {
  return async () => {
    deps.project();
    const table = deps.origins();
    const now = deps.clock();
    const [countries, networks] = await Promise.all([stats.stats(table, { by: 'country' }, now), stats.stats(table, { by: 'asn' }, now)]);
    const own = deps.config.country ?? null;
    const total = countries.rows.reduce((n, r) => n + r.pieces, 0);
    const ownRow = own === null ? undefined : countries.rows.find((r) => r.key === own);
    return {
      unit: 'listed pieces',
      asOf: countries.asOf,
      dataset: countries.dataset,
      ownCountry: own,
      countries: countries.rows.slice(0, TOP).map((r) => ({ country: r.key, pieces: r.pieces, addresses: r.addresses, reports: r.reports })),
      otherCountries: countries.rows.slice(TOP).reduce((n, r) => n + r.pieces, 0),
      total,
      domestic:
        own === null
          ? null
          : { country: own, pieces: ownRow?.pieces ?? 0, addresses: ownRow?.addresses ?? 0, share: total === 0 ? 0 : (ownRow?.pieces ?? 0) / total },
      networks: networks.rows.slice(0, TOP).map((r) => {
        const asn = r.key === 'unknown' ? null : Number(r.key);
        return { asn, name: asn === null ? null : table.asNameOf(asn), pieces: r.pieces, addresses: r.addresses, reports: r.reports };
      }),
    };
  };
}
