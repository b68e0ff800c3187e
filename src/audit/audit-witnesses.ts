import { z } from 'zod';
import type { Checkpoint } from '../core/checkpoint.js';
import type { Witness } from '../core/cosignature.js';
import { formatTimestamp } from '../core/time.js';
import { redactCredentials } from '../core/redact-credentials.js';
import { verifyConsistency, type MemoryTree } from '../core/merkle.js';
import type { VerifierKey } from '../core/signed-note.js';
import { witnessedCheckpoint } from '../core/witness-quorum.js';
import type { PeerHttpClient } from '../ingest/http-client.js';
import { verifyCheckpointNote } from '../verify/checkpoint-note.js';
import { verifiedCosigners } from '../verify/cosigners.js';
import { parseProofHashes } from '../verify/proof-hashes.js';
import { reason, treeMismatch, type AuditCheck } from './audit-checkpoint.js';

/** A witness to ask: where its cosigned view is served, and its cosigning name and key. */
export interface WitnessTarget {
  readonly url: string;
  readonly witness: Witness;
}

interface Verdict {
  readonly line: string;
  readonly vouch?: { readonly witness: string; readonly size: number; readonly timestamp: number };
  /** A publisher-signed checkpoint that contradicts the batches: a split view, fatal whatever the quorum. */
  readonly splitView?: string;
}

const ProofSchema = z.object({ proof: z.array(z.string()) });

/**
 * Each witness's cosigned view (`GET /v1/witness/{publisher}`): signed by the publisher, carrying
 * that witness's cosignature/v1 (type 0x04 key ID, c2sp.org/tlog-cosignature), and consistent
 * with the audited tree, either the same root at its size or, for a view larger than the
 * batches fetched, by an RFC 9162 §2.1.4 proof from the audited node. At least `quorum`
 * witnesses must vouch; `witnessedCheckpoint` names the largest size that many vouch for.
 */
export async function checkWitnesses(
  http: PeerHttpClient,
  audited: { url: string; publisher: string; keys: readonly VerifierKey[]; tree: MemoryTree },
  targets: readonly WitnessTarget[],
  quorum: number,
): Promise<AuditCheck[]> {
  const verdicts = await Promise.all(targets.map((t) => witnessView(http, audited, t)));
  const vouches = verdicts.flatMap((v) => (v.vouch ? [v.vouch] : []));
  const witnessed = witnessedCheckpoint(vouches, quorum);
  const summary = witnessed
    ? `${vouches.length} of ${targets.length} cosigned a consistent checkpoint (quorum ${quorum}); ${quorum} vouch for size ${witnessed.size} by ${formatTimestamp(witnessed.at * 1000)}`
    : `${vouches.length} of ${targets.length} cosigned a consistent checkpoint; quorum ${quorum} not reached`;
  const splitViews = verdicts.flatMap((v) => (v.splitView ? [{ name: 'split view', ok: false, detail: v.splitView }] : []));
  return [{ name: 'witnesses', ok: witnessed !== undefined, detail: summary, notes: verdicts.map((v) => v.line) }, ...splitViews];
}

async function witnessView(
  http: PeerHttpClient,
  audited: { url: string; publisher: string; keys: readonly VerifierKey[]; tree: MemoryTree },
  { url, witness }: WitnessTarget,
): Promise<Verdict> {
  const who = `${witness.name} at ${redactCredentials(url)}`;
  let text: string;
  try {
    text = await http.getText(`${url}/v1/witness/${encodeURIComponent(audited.publisher)}`, 'text/plain');
  } catch (err) {
    return { line: `${who}: no cosigned view: ${reason(err)}` };
  }
  let checkpoint: Checkpoint;
  let timestamp: number;
  try {
    const view = verifyCheckpointNote(text, audited.keys, 'its view');
    checkpoint = view.checkpoint;
    const cosigner = verifiedCosigners(view.note, [witness])[0];
    if (!cosigner) return { line: `${who}: has not cosigned the checkpoint it serves (no cosignature/v1 by this key)` };
    timestamp = cosigner.timestamp;
  } catch (err) {
    return { line: `${who}: ${reason(err)}` };
  }
  const at = `size ${checkpoint.size}, cosigned ${formatTimestamp(timestamp * 1000)}`;
  if (checkpoint.size <= audited.tree.size) {
    const mismatch = treeMismatch(audited.tree, checkpoint);
    if (mismatch) return { line: `${who}: ${at}, contradicts the batches`, splitView: `${who} serves a checkpoint signed by the publisher that the batches contradict: ${mismatch}` };
  } else {
    const unproven = await provenAhead(http, audited, checkpoint);
    if (unproven) return { line: `${who}: ${at}, not counted: ${unproven}` };
  }
  return { line: `${who}: ${at}`, vouch: { witness: witness.name, size: checkpoint.size, timestamp } };
}

/** For a view beyond the batches fetched: why it is not proven to extend them, or undefined. */
async function provenAhead(
  http: PeerHttpClient,
  audited: { url: string; publisher: string; tree: MemoryTree },
  checkpoint: Checkpoint,
): Promise<string | undefined> {
  const from = audited.tree.size;
  if (from === 0) return undefined; // every tree extends the empty one
  try {
    const url = `${audited.url}/v1/feeds/${encodeURIComponent(audited.publisher)}/proof/consistency?from=${from}&to=${checkpoint.size}`;
    const body = ProofSchema.safeParse(await http.getJson(url));
    if (!body.success) return `${redactCredentials(url)} is not a consistency proof`;
    const proof = parseProofHashes(body.data.proof, 'consistency proof');
    return verifyConsistency(from, checkpoint.size, proof, audited.tree.root(), checkpoint.root)
      ? undefined
      : `the consistency proof from ${from} to ${checkpoint.size} does not verify`;
  } catch (err) {
    return `no consistency proof from the ${from} batches audited: ${reason(err)}`;
  }
}
