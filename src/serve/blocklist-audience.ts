import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import type { OriginScope } from '../core/origin.js';
import { scopeCovers } from '../core/origin-cut.js';
import type { OriginTable } from '../core/origin-table.js';
import { TLP_AMBER, type TlpReader } from '../core/tlp.js';
import { EVERYONE_VIEW, OPERATOR_VIEW, type LookupView } from '../read/lookup-answer.js';
import type { ListAudience } from './blocklist-export.js';
import type { Caller } from './subscriber-access.js';

/*
 * Who a subscriber surface serves, as far as distribution labels go (core/tlp.ts, issue 16
 * item 2): one place that turns a caller into the labels it may see, for the blocklist, its
 * change stream, the CrowdSec stream and lookups.
 */

/** This centre's own jurisdiction (config `country`) as an origin scope; none without a country. */
export function jurisdictionScope(country: string | undefined): OriginScope | undefined {
  return country === undefined ? undefined : { countries: [country], asns: [], within: [] };
}

/** A scoped key may see amber (cut to its scope and the jurisdiction); anyone else, clear and green. */
export function callerReader(caller: Caller | undefined): TlpReader {
  return caller?.kind === 'subscriber' && caller.subscriber.scope ? 'scoped' : 'everyone';
}

/** The list audience of a subscriber request (serve/blocklist-export.ts ListAudience). */
export function listAudience(caller: Caller | undefined, country: string | undefined): ListAudience {
  const reader = callerReader(caller);
  return reader === 'scoped' ? { reader, jurisdiction: jurisdictionScope(country) } : { reader };
}

/**
 * A lookup's view: the operator (the node's operator token) sees every label, named; a scoped
 * key sees amber for an address inside this centre's jurisdiction (its scope was checked
 * already); anyone else sees clear and green.
 */
export function lookupView(operator: boolean, caller: Caller | undefined, table: OriginTable, country: string | undefined, ip: string): LookupView {
  if (operator) return OPERATOR_VIEW;
  const jurisdiction = jurisdictionScope(country);
  if (callerReader(caller) === 'scoped' && jurisdiction && scopeCovers(table, jurisdiction, ip)) return { maxRank: TLP_AMBER, showTlp: false };
  return EVERYONE_VIEW;
}

/**
 * A check of whether a request carries this node's operator token (Authorization: Bearer),
 * compared in constant time over hashes as serve/operator-auth.ts does; the token's hash is made
 * once. Only a lookup asks: a wrong token is then simply not the operator's, and goes on to be
 * checked (and counted, when wrong) as a subscriber key.
 */
export function operatorTokenCheck(operatorToken: string): (c: Context) => boolean {
  const expected = createHash('sha256').update(operatorToken).digest();
  return (c) => {
    const auth = c.req.header('authorization');
    if (!auth?.startsWith('Bearer ')) return false;
    return timingSafeEqual(createHash('sha256').update(auth.slice(7).trim()).digest(), expected);
  };
}
