import { abuseCsv } from './abuse-csv.js';
import type { BlocklistFormat } from './format.js';
import { ipset } from './ipset.js';
import { nftables } from './nftables.js';
import { csv, json, ndjson, txt } from './plain-formats.js';
import { postfix } from './postfix.js';
import { rbldnsd } from './rbldnsd.js';

/** Every format `GET /v1/blocklist?format=` and `spamx export --format` know, by name. */
export const FORMATS: ReadonlyMap<string, BlocklistFormat> = new Map([txt, csv, json, ndjson, rbldnsd, ipset, nftables, postfix, abuseCsv].map((f) => [f.name, f]));

export type { BlocklistFormat, BlocklistMeta, BlocklistRow } from './format.js';
