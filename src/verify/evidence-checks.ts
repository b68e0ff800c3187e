import { createHash } from 'node:crypto';
import { BATCH_TYP, checkBatchShape, type BatchPayload } from '../core/batch.js';
import { parseCheckpoint, type Checkpoint } from '../core/checkpoint.js';
import { SpamxError } from '../core/errors.js';
import { checkEntry as checkWireEntry } from '../core/entry.js';
import { leafHash } from '../core/leaf-hash.js';
import { verifyInclusion } from '../core/merkle.js';
import { parsePrefix, prefixContains, type Prefix } from '../core/prefix.js';
import { parseNote, type Note } from '../core/signed-note.js';
import { parseStrictJson } from '../core/strict-json.js';
import { formatTimestamp } from '../core/time.js';
import { isPublisherKey, publisherCheckpointKeys, verifyCheckpointNote } from './checkpoint-note.js';
import { parseWitnessKey, verifiedCosigners } from './cosigners.js';
import type { EvidenceFeed, EvidenceListing } from './evidence-bundle.js';
import { pinKeys, type PinnedKeySet } from './pinned-keys.js';
import { parseHash, parseProofHashes } from './proof-hashes.js';
import type { EvidenceTrust } from './evidence-trust.js';
import { verifyCompactJws } from './verify-jws.js';

/** One listing being verified: the bundle's parts, the trust given, and what earlier steps established. */
export interface ListingState {
  readonly listing: EvidenceListing;
  readonly feed: EvidenceFeed;
  readonly address: Prefix;
  readonly trust: EvidenceTrust;
  keys?: PinnedKeySet;
  entries?: readonly unknown[];
  leaf?: Buffer;
  note?: Note;
  checkpoint?: Checkpoint;
}

/** A check that does not hold: the bundle does not prove the listing (the message says why). */
function fail(message: string): never {
  throw new SpamxError('EVIDENCE_INVALID', message);
}
const b64 = (h: Buffer) => h.toString('base64');

/** PROTOCOL "Batch": the JWS checks a puller makes, with the trusted keys, then the payload's shape and place. */
export async function checkBatch(s: ListingState): Promise<string> {
  const { listing, feed, trust } = s;
  const bundled = await pinKeys(feed.keys, `the bundle's keys of ${listing.publisher}`);
  const keys = trust.keys ?? bundled;
  const { kid, payloadText } = verifyCompactJws(listing.batch, keys, BATCH_TYP);
  // With --key, the key the bundle offers must be that key: a bundle whose key differs misstates who signed.
  if (trust.keys && !bundled.has(kid)) fail(`the bundle's keys of ${listing.publisher} do not include ${kid}, the --key that signed the batch`);
  const payload = checkBatchShape(parseStrictJson(payloadText, 'payload'));
  if (payload.publisher !== listing.publisher) fail(`the batch is ${payload.publisher}'s, not ${listing.publisher}'s`);
  if (payload.seq !== listing.seq) fail(`the batch has seq ${payload.seq}, the bundle says ${listing.seq}`);
  s.keys = keys;
  s.entries = payload.entries;
  if (!payload.sealed && listing.inner !== undefined) fail('the batch is not sealed, yet the bundle gives an inner JWS for it');
  const sealed = payload.sealed ? `; ${checkInner(s, payload)}` : '';
  return `EdDSA by ${kid} (${trust.keys ? '--key' : 'key from the bundle'}); ${payload.publisher} seq ${payload.seq}, issued ${payload.issuedAt}${sealed}`;
}

/**
 * A sealed batch's content (PROTOCOL "Additions: partners only"): the bundle's inner JWS hashes to
 * the `innerDigest` the logged (outer) batch names, is signed by the same keys, and is that
 * publisher's batch of the same seq, prev and time. Its entries are what the next step reads:
 * so a recipient proves offline what the publisher sent, without the decryption key.
 */
function checkInner(s: ListingState, outer: BatchPayload): string {
  const { listing } = s;
  const sealed = outer.sealed!;
  if (listing.inner === undefined) fail(`the batch is sealed to ${sealed.recipients.join(', ')} and the bundle has no inner JWS for it`);
  const digest = createHash('sha256').update(listing.inner, 'latin1').digest('base64url');
  if (digest !== sealed.innerDigest) fail(`the inner JWS hashes to ${digest}, the logged batch names innerDigest ${sealed.innerDigest}`);
  const { kid, payloadText } = verifyCompactJws(listing.inner, s.keys!, BATCH_TYP);
  const inner = checkBatchShape(parseStrictJson(payloadText, 'inner payload'));
  for (const member of ['publisher', 'seq', 'prev', 'issuedAt'] as const) {
    if (inner[member] !== outer[member]) fail(`the inner JWS has ${member} ${JSON.stringify(inner[member])}, the logged batch ${JSON.stringify(outer[member])}`);
  }
  if (inner.sealed) fail('the inner JWS is itself sealed');
  s.entries = inner.entries;
  return `sealed to ${sealed.recipients.join(', ')} (${sealed.tlp}): the inner JWS, EdDSA by ${kid}, hashes to the logged innerDigest`;
}

/** The batch lists (op `list`) the bundle's prefix, and that prefix contains the address. */
export function checkEntry(s: ListingState): string {
  const { listing, address } = s;
  const prefix = parsePrefix(listing.prefix);
  if (!prefix.ok || prefix.prefix.text !== listing.prefix) fail(`"${listing.prefix}" is not a canonical prefix`);
  if (!prefixContains(prefix.prefix, address)) fail(`${listing.prefix} does not contain ${address.text}`);
  // PROTOCOL "Batch": a prefix appears at most once in a batch; a receiver acts on its first mention.
  const raw = s.entries!.find((e) => {
    const text = (e as { prefix?: unknown } | null)?.prefix;
    const parsed = typeof text === 'string' ? parsePrefix(text) : undefined;
    return parsed?.ok === true && parsed.prefix.text === listing.prefix;
  });
  if (raw === undefined) fail(`the batch has no entry for ${listing.prefix}`);
  const checked = checkWireEntry(raw);
  if (!checked.ok) fail(`the batch's entry for ${listing.prefix} is malformed: ${checked.reason}`);
  const e = checked.entry;
  if (e.op !== 'list') fail(`the batch's entry for ${listing.prefix} is op "${e.op}", not "list"`);
  return `op list ${listing.prefix}, ${e.reports} report(s), last seen ${formatTimestamp(e.lastSeen)}, expires ${formatTimestamp(e.expires)}`;
}

/** RFC 6962 §2.1: SHA-256(0x00 ‖ the JWS bytes), as the bundle states it. */
export function checkLeafHash(s: ListingState): string {
  const computed = leafHash(s.listing.batch);
  if (!parseHash(s.listing.leafHash, 'leafHash').equals(computed)) fail(`the batch hashes to ${b64(computed)}, the bundle says ${s.listing.leafHash}`);
  s.leaf = computed;
  return b64(computed);
}

/** RFC 9162 §2.1.3.2 against the checkpoint's root; the checkpoint's signature is the next step. */
export function checkInclusion(s: ListingState): string {
  const { listing } = s;
  const note = parseNote(s.feed.checkpoint);
  const checkpoint = parseCheckpoint(note.text);
  const { leafIndex, treeSize, proof } = listing.inclusion;
  if (leafIndex !== listing.seq - 1) fail(`leaf index ${leafIndex} is not seq ${listing.seq} - 1`);
  if (treeSize !== checkpoint.size) fail(`the proof is for size ${treeSize}, the checkpoint is of size ${checkpoint.size}`);
  const hashes = parseProofHashes(proof, 'inclusion proof');
  if (!verifyInclusion(s.leaf!, leafIndex, treeSize, hashes, checkpoint.root)) {
    fail(`the proof does not lead from leaf ${leafIndex} to root ${b64(checkpoint.root)} of size ${treeSize}`);
  }
  s.note = note;
  s.checkpoint = checkpoint;
  return `leaf ${leafIndex} of ${treeSize}, ${hashes.length} hashes, root ${b64(checkpoint.root)}`;
}

/** c2sp.org/tlog-checkpoint: signed by the given key, or else by the bundle's, which must be one of the publisher's keys. */
export function checkCheckpoint(s: ListingState): string {
  const { trust, feed, listing } = s;
  const [key] = publisherCheckpointKeys(listing.publisher, s.keys!, trust.checkpointKey ?? feed.checkpointKey);
  if (!trust.checkpointKey && !isPublisherKey(key!, s.keys!)) fail(`the bundle's checkpoint key ${key!.name} is not one of the publisher's keys`);
  verifyCheckpointNote(feed.checkpoint, [key!]);
  return `signed by ${key!.name} (${trust.checkpointKey ? '--checkpoint-key' : "the publisher's key"})`;
}

/** c2sp.org/tlog-cosignature: at least `quorum` distinct witnesses' valid cosignature/v1 lines. */
export function checkCosignatures(s: ListingState): string {
  const { trust, feed } = s;
  const witnesses =
    trust.witnesses ??
    feed.witnesses.map((w) => {
      const witness = parseWitnessKey(w.key);
      if (witness.name !== w.name) fail(`the bundle's witness "${w.name}" has a key named ${witness.name}`);
      return witness;
    });
  const cosigners = verifiedCosigners(s.note!, witnesses);
  const list = cosigners.map((c) => `${c.name} at ${formatTimestamp(c.timestamp * 1000)}`).join(', ') || 'none';
  const source = trust.witnesses ? '--witness keys' : 'witness keys from the bundle';
  if (cosigners.length < trust.quorum) fail(`${cosigners.length} valid among ${witnesses.length} ${source} (${list}); quorum ${trust.quorum} not reached`);
  return `${cosigners.length} valid, quorum ${trust.quorum} (${source}): ${list}`;
}
