import type { BlocklistFormat } from './format.js';
import { csv, json, ndjson, txt } from './plain-formats.js';

/** Every format `GET /v1/blocklist?format=` and `spamx export --format` know, by name. */
export const FORMATS: ReadonlyMap<string, BlocklistFormat> = new Map([txt, csv, json, ndjson].map((f) => [f.name, f]));

export type { BlocklistFormat, BlocklistMeta, BlocklistRow } from './format.js';
