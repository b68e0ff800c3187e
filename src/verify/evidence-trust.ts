import type { Witness } from '../core/cosignature.js';
import type { PinnedKeySet } from './pinned-keys.js';

/**
 * What the verifier of an evidence bundle trusts beyond the bundle; whatever is not given is
 * taken from the bundle. Its own file so that the checks (evidence-checks.ts) and their driver
 * (verify-evidence.ts) both read it without importing each other.
 */
export interface EvidenceTrust {
  /** The publisher's keys (`--key`); the bundle's key that signed the batch must be among them. */
  readonly keys?: PinnedKeySet | undefined;
  /** The checkpoint verifier key (`--checkpoint-key`). */
  readonly checkpointKey?: string | undefined;
  /** Witnesses (`--witness`). */
  readonly witnesses?: readonly Witness[] | undefined;
  /** Valid cosignatures needed among the witnesses. */
  readonly quorum: number;
}
