import type { Family } from './prefix.js';

/**
 * Where an address is registered (PROTOCOL "Additions: origins"): the ISO 3166-1 alpha-2 country
 * of its registration, the AS that originates it and that AS's name, and the regional registry.
 * Routing follows registration, not geolocation: the registry's holder in that country can act.
 * A member the data has nothing for is null.
 */
export interface Origin {
  readonly country: string | null;
  readonly asn: number | null;
  readonly asName: string | null;
  readonly registry: string | null;
}

/** One data set in use, so two centres can tell whether they route from the same data. */
export interface OriginDataset {
  /** e.g. `@ip-location-db/asn-country 2.3.2026061719`, or `delegated-apnic-extended-latest`. */
  readonly name: string;
  /** The data's date or serial (YYYY-MM-DD when the source gives a date). */
  readonly date: string;
  /** SHA-256, hex, of the file's bytes (of the files' bytes in name order for a set). */
  readonly sha256: string;
}

/**
 * A scope: the union of countries, ASNs and prefixes (PROTOCOL: `country=CC`, `asn=N`,
 * `within=PREFIX`, each repeatable). An empty scope (all three empty) is no filter at all.
 */
export interface OriginScope {
  readonly countries: readonly string[];
  readonly asns: readonly number[];
  /** Canonical prefix texts. */
  readonly within: readonly string[];
}

/** A CIDR piece of listed space whose addresses all share one origin. */
export interface OriginPiece {
  readonly family: Family;
  /** First and last address: numbers for IPv4, bigints for IPv6. */
  readonly start: number | bigint;
  readonly end: number | bigint;
  /** Canonical CIDR text. */
  readonly prefix: string;
  readonly country: string | null;
  readonly asn: number | null;
}
