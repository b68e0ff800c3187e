import type { Checkpoint } from '../core/checkpoint.js';
import { describeError, isSpamxError } from '../core/errors.js';
import type { MemoryTree } from '../core/merkle.js';
import type { VerifierKey } from '../core/signed-note.js';
import { verifyCheckpointNote, type VerifiedCheckpoint } from '../verify/checkpoint-note.js';

/** One named check of the audit and what it found, for the summary. */
export interface AuditCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  /** Further lines under the check (one per witness). */
  readonly notes?: readonly string[];
}

const b64 = (h: Buffer) => h.toString('base64');

/** A failure as one line: verification failures by their message, transport ones with their code. */
export function reason(err: unknown): string {
  return isSpamxError(err, 'BAD_REQUEST') ? err.message : describeError(err);
}

/**
 * Why `checkpoint` is not a view of the recomputed tree, or undefined when it is: its size must
 * be at most the batches verified and its root MTH of the first `size` leaves (RFC 9162 §2.1.1).
 */
export function treeMismatch(tree: MemoryTree, checkpoint: Checkpoint): string | undefined {
  if (checkpoint.size > tree.size) return `size ${checkpoint.size} is beyond the ${tree.size} batches served`;
  const root = tree.root(checkpoint.size);
  if (!root.equals(checkpoint.root)) {
    return `size ${checkpoint.size} has root ${b64(checkpoint.root)} where the batches give ${b64(root)}`;
  }
  return undefined;
}

/**
 * The checkpoint the audited node served (fetched before its batches, so a feed growing meanwhile
 * still has at least that many): signed by the publisher and the root of the recomputed tree.
 */
export function checkServedCheckpoint(text: string | Error, keys: readonly VerifierKey[], tree: MemoryTree): { check: AuditCheck; verified?: VerifiedCheckpoint } {
  const name = 'checkpoint';
  if (text instanceof Error) return { check: { name, ok: false, detail: `not served: ${reason(text)}` } };
  let verified: VerifiedCheckpoint;
  try {
    verified = verifyCheckpointNote(text, keys, 'served checkpoint');
  } catch (err) {
    return { check: { name, ok: false, detail: reason(err) } };
  }
  const { checkpoint, signer } = verified;
  const mismatch = treeMismatch(tree, checkpoint);
  if (mismatch) return { check: { name, ok: false, detail: `signed by ${signer.name}, but ${mismatch}` } };
  return {
    check: { name, ok: true, detail: `size ${checkpoint.size}, root ${b64(checkpoint.root)}, signed by ${signer.name}, is the root of the batches` },
    verified,
  };
}

/**
 * `--since`: a checkpoint saved by an earlier audit. Its signature is checked again (the file may
 * have been edited), then the current tree at that size must have that root: the log was only
 * appended to since (RFC 9162 §2.1.4's property, checked here on the whole tree rather than by
 * a proof, since every leaf is at hand).
 */
export function checkSince(file: string, text: string, keys: readonly VerifierKey[], tree: MemoryTree): AuditCheck {
  const name = 'since';
  try {
    const { checkpoint } = verifyCheckpointNote(text, keys, file);
    const mismatch = treeMismatch(tree, checkpoint);
    if (mismatch) return { name, ok: false, detail: `the log no longer extends the checkpoint saved in ${file}: ${mismatch}` };
    return { name, ok: true, detail: `the checkpoint saved in ${file} (size ${checkpoint.size}) is a prefix of the current tree` };
  } catch (err) {
    return { name, ok: false, detail: reason(err) };
  }
}
