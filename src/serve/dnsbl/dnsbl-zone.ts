import type { Answer } from 'dns-packet';
import { formatAddress } from '../../core/prefix.js';
import type { DnsblIndex } from '../../read/dnsbl-index.js';
import { mappedV4 } from './dnsbl-name.js';

/** What answering needs to know about the zone; `index` and `serial` move as the store changes. */
export interface DnsblZone {
  /** Lower case, no trailing dot. */
  readonly zone: string;
  readonly ttl: number;
  /** The zone's name server (NS and the SOA's MNAME). */
  readonly nameserver: string;
  readonly index: DnsblIndex;
  /** The last change log id the index reflects. */
  readonly serial: number;
  /** The node's URL, for the lookup link in TXT answers. */
  readonly publicUrl: string;
}

/** RFC 5782 §2.1: a listed address answers A 127.0.0.2. */
export const LISTED_A = '127.0.0.2';
const TEST_LISTED = 0x7f000002;
const TEST_UNLISTED = 0x7f000001;

/** Why an address is listed: by whom (no one, for the test point). */
export interface Listing {
  readonly sources: string | undefined;
  readonly testPoint: boolean;
  /** The address as text, made only when it is needed (TXT). */
  address(): string;
}

/** Whether an address name is listed, RFC 5782 §5 test points included; undefined if not. */
export function listingOf(target: { kind: 'v4'; address: number } | { kind: 'v6'; nibbles: string }, index: DnsblIndex): Listing | undefined {
  if (target.kind === 'v4') return v4Listing(target.address, index);
  const mapped = mappedV4(target.nibbles);
  if (mapped !== undefined) return v4Listing(mapped, index);
  const sources = index.lookupV6(target.nibbles);
  if (sources === undefined) return undefined;
  return { sources, testPoint: false, address: () => formatAddress(6, BigInt(`0x${target.nibbles}`)) };
}

function v4Listing(address: number, index: DnsblIndex): Listing | undefined {
  // RFC 5782 §5: 127.0.0.2 (and ::FFFF:7F00:2) is always listed, 127.0.0.1 never.
  if (address === TEST_UNLISTED) return undefined;
  const sources = index.lookupV4(address);
  if (sources === undefined && address !== TEST_LISTED) return undefined;
  return { sources, testPoint: address === TEST_LISTED, address: () => formatAddress(4, address) };
}

/** The zone's SOA record; its serial is the index's change id, so it moves with every change. */
export function soaRecord(zone: DnsblZone): Answer {
  return {
    type: 'SOA',
    name: zone.zone,
    ttl: zone.ttl,
    data: {
      mname: zone.nameserver,
      rname: `hostmaster.${zone.zone}`,
      serial: zone.serial >>> 0,
      refresh: 3600,
      retry: 600,
      expire: 604_800,
      // RFC 2308 §5: negative answers are cached for min(SOA TTL, MINIMUM).
      minimum: zone.ttl,
    },
  };
}
