import { html } from 'hono/html';
import type { OriginDataset } from '../core/origin.js';

/**
 * The credit CC BY 4.0 asks of a web page showing origins from DB-IP's data (the default origin
 * data, through @ip-location-db; README "Data licences"): empty when no set in use comes from it.
 */
export function dbIpCredit(datasets: readonly Pick<OriginDataset, 'name'>[]) {
  return datasets.some((d) => d.name.startsWith('@ip-location-db/'))
    ? html`<p class="note">IP Geolocation by <a href="https://db-ip.com">DB-IP</a> (https://db-ip.com), CC BY 4.0.</p>`
    : '';
}
