import { SpamxError } from '../core/errors.js';
import { parsePrefix, type Prefix } from '../core/prefix.js';
import { checkBatch, checkCheckpoint, checkCosignatures, checkEntry, checkInclusion, checkLeafHash, type ListingState } from './evidence-checks.js';
import type { EvidenceBundle, EvidenceFeed, EvidenceListing } from './evidence-bundle.js';
import type { EvidenceTrust } from './evidence-trust.js';

export interface EvidenceStep {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface ListingVerdict {
  readonly publisher: string;
  readonly prefix: string;
  readonly seq: number;
  readonly ok: boolean;
  readonly steps: readonly EvidenceStep[];
}

/** The checks of one listing, in the order they run; each reads what the ones before left in the state. */
const STEPS: readonly (readonly [string, (s: ListingState) => string | Promise<string>])[] = [
  ['batch signature', checkBatch],
  ['entry', checkEntry],
  ['leaf hash', checkLeafHash],
  ['inclusion proof', checkInclusion],
  ['checkpoint', checkCheckpoint],
  ['cosignatures', checkCosignatures],
];

/**
 * Checks an evidence bundle with no network, listing by listing, each in a fixed order (as
 * sigstore's verifier reads off one file): the batch's signature and place → the entry listing
 * the address → the leaf hash (RFC 6962 §2.1) → the inclusion proof against the checkpoint root
 * (RFC 9162 §2.1.3.2) → the checkpoint's signature (c2sp.org/tlog-checkpoint) → at least `quorum`
 * cosignatures (c2sp.org/tlog-cosignature). A listing stops at its first failing step; the bundle
 * holds only when every listing does.
 */
export async function verifyEvidence(bundle: EvidenceBundle, trust: EvidenceTrust): Promise<{ address: string; ok: boolean; listings: ListingVerdict[] }> {
  const address = parseAddress(bundle.address);
  const listings: ListingVerdict[] = [];
  for (const listing of bundle.listings) listings.push(await verifyListing(listing, bundle.feeds[listing.publisher]!, address, trust));
  return { address: address.text.replace(/\/(32|128)$/, ''), ok: listings.every((l) => l.ok), listings };
}

async function verifyListing(listing: EvidenceListing, feed: EvidenceFeed, address: Prefix, trust: EvidenceTrust): Promise<ListingVerdict> {
  const state: ListingState = { listing, feed, address, trust };
  const steps: EvidenceStep[] = [];
  for (const [name, check] of STEPS) {
    try {
      steps.push({ name, ok: true, detail: await check(state) });
    } catch (err) {
      steps.push({ name, ok: false, detail: (err as Error).message.split('\n')[0]! });
      break;
    }
  }
  const ok = steps.length === STEPS.length && steps.every((s) => s.ok);
  return { publisher: listing.publisher, prefix: listing.prefix, seq: listing.seq, ok, steps };
}

function parseAddress(text: string): Prefix {
  const parsed = parsePrefix(text);
  if (!parsed.ok || parsed.prefix.length !== (parsed.prefix.family === 4 ? 32 : 128)) {
    throw new SpamxError('BAD_REQUEST', `bundle address "${text}" is not an IP address`);
  }
  return parsed.prefix;
}
