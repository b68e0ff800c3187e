import type { PeerHttpClient } from '../ingest/http-client.js';
import type { VerifierKey } from '../core/signed-note.js';
import type { VerifiedCheckpoint } from '../verify/checkpoint-note.js';
import type { PinnedKeySet } from '../verify/pinned-keys.js';
import { auditBatches, type AuditedBatches } from './audit-batches.js';
import { checkServedCheckpoint, checkSince, type AuditCheck } from './audit-checkpoint.js';
import { checkWitnesses, type WitnessTarget } from './audit-witnesses.js';

export interface AuditTarget {
  readonly url: string;
  readonly publisher: string;
  readonly keys: PinnedKeySet;
}

/** What the audit checks beyond the batches: the signed checkpoint, an earlier one, the witnesses. */
export interface TransparencyOptions {
  /** The publisher's checkpoint verifier keys. */
  readonly checkpointKeys: readonly VerifierKey[];
  readonly witnesses: readonly WitnessTarget[];
  /** Witnesses that must vouch for a consistent checkpoint. */
  readonly quorum: number;
  /** A checkpoint saved by an earlier audit (its text, and where it came from for messages). */
  readonly since: { readonly file: string; readonly text: string } | undefined;
}

export interface FeedAudit {
  readonly batches: AuditedBatches;
  /** The transparency checks in the order they ran; empty for the plain form. */
  readonly checks: readonly AuditCheck[];
  /** The served checkpoint, when it verified against the batches (what `--save` writes). */
  readonly checkpoint: { readonly text: string; readonly verified: VerifiedCheckpoint } | undefined;
}

/**
 * A whole feed end to end, in a fixed order: the served checkpoint is fetched first, then every
 * batch is verified and the tree recomputed (a bad batch ends the audit: BadBatchError); then the
 * checkpoint is checked against that tree, then `since`, then the witnesses. The checks after
 * the batches all run, so one audit names every failure. `progress` is told the batches verified
 * so far after each page.
 */
export async function auditFeed(
  http: PeerHttpClient,
  target: AuditTarget,
  options?: TransparencyOptions,
  progress?: (verified: { readonly batches: number; readonly entries: number }) => void,
): Promise<FeedAudit> {
  const { url, publisher, keys } = target;
  const served = options
    ? await http.getText(`${url}/v1/feeds/${encodeURIComponent(publisher)}/checkpoint`, 'text/plain').catch((err: unknown) => err as Error)
    : undefined;
  const batches = await auditBatches(http, url, publisher, keys, progress);
  if (!options || served === undefined) return { batches, checks: [], checkpoint: undefined };
  const { tree } = batches;
  const { check, verified } = checkServedCheckpoint(served, options.checkpointKeys, tree);
  const checks: AuditCheck[] = [check];
  if (options.since) checks.push(checkSince(options.since.file, options.since.text, options.checkpointKeys, tree));
  if (options.witnesses.length > 0) {
    checks.push(...(await checkWitnesses(http, { url, publisher, keys: options.checkpointKeys, tree }, options.witnesses, options.quorum)));
  }
  return { batches, checks, checkpoint: verified && typeof served === 'string' ? { text: served, verified } : undefined };
}
