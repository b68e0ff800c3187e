import { z } from 'zod';
import { CENTRE_ID_RE, MAX_JWS_BYTES } from '../core/batch.js';
import { SpamxError } from '../core/errors.js';
import { findDuplicateMember } from '../core/strict-json.js';

/** The `format` member of an evidence bundle; a later incompatible layout gets a new one. */
export const EVIDENCE_FORMAT = 'spamx-evidence/1';

const count = (min: number) => z.number().int().min(min).max(Number.MAX_SAFE_INTEGER);

/**
 * One listing: the batch that listed a prefix covering the address, and the RFC 9162 §2.1.3
 * inclusion proof of its leaf (hashes in standard base64, as the proof endpoint serves them)
 * in the tree of the feed's checkpoint.
 */
const ListingSchema = z
  .object({
    publisher: z.string().regex(CENTRE_ID_RE),
    prefix: z.string().max(64),
    seq: count(1),
    batch: z.string().max(MAX_JWS_BYTES),
    /**
     * For a sealed batch (PROTOCOL "Additions: partners only"): the inner compact JWS the node
     * opened, whose SHA-256 the logged batch names as `innerDigest` and whose entries list the prefix.
     */
    inner: z.string().max(MAX_JWS_BYTES).optional(),
    leafHash: z.string().max(64),
    inclusion: z.object({ leafIndex: count(0), treeSize: count(1), proof: z.array(z.string().max(64)).max(64) }).strict(),
  })
  .strict();

/** What a verifier needs of one feed: its keys, its checkpoint with every cosignature, its witnesses. */
const FeedSchema = z
  .object({
    /** The publisher's JWS keys (a JWKS). */
    keys: z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1).max(100) }),
    /** C2SP verifier key of its checkpoints. */
    checkpointKey: z.string().max(1000),
    /** The signed checkpoint note: the publisher's signature and every witness's cosignature line. */
    checkpoint: z.string().max(1_000_000),
    /** Witnesses' cosignature/v1 verifier keys (type 0x04). */
    witnesses: z.array(z.object({ name: z.string().max(200), key: z.string().max(1000) }).strict()).max(100),
  })
  .strict();

const EvidenceSchema = z
  .object({
    format: z.literal(EVIDENCE_FORMAT),
    address: z.string().max(64),
    /** The node that made the bundle, and when (informational: nothing below trusts either). */
    node: z.string().max(64),
    createdAt: z.string().max(64),
    /**
     * Where the making node routes the address, and the origin data it routes by (informational:
     * nothing is verified against it). Bundles made before origins have none.
     */
    origin: z
      .object({
        country: z.string().max(2).nullable(),
        asn: z.number().int().nullable(),
        asName: z.string().max(1000).nullable(),
        registry: z.string().max(64).nullable(),
        dataset: z
          .object({
            id: z.string().max(64),
            sets: z.array(z.object({ name: z.string().max(300), date: z.string().max(64), sha256: z.string().max(64) }).strict()).max(100),
          })
          .strict(),
      })
      .strict()
      .optional(),
    listings: z.array(ListingSchema).min(1).max(1000),
    feeds: z.record(z.string().regex(CENTRE_ID_RE), FeedSchema),
  })
  .strict();

export type EvidenceBundle = z.output<typeof EvidenceSchema>;
export type EvidenceListing = EvidenceBundle['listings'][number];
export type EvidenceFeed = EvidenceBundle['feeds'][string];

/** A bundle from untrusted text; anything out of shape is one line naming the member. */
export function parseEvidenceBundle(text: string): EvidenceBundle {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new SpamxError('BAD_REQUEST', `bundle is not JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  // Two readers of a bundle naming a member twice could check two different things.
  const duplicate = findDuplicateMember(text);
  if (duplicate) throw new SpamxError('BAD_REQUEST', `bundle repeats member name ${JSON.stringify(duplicate.name)}`);
  const parsed = EvidenceSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new SpamxError('BAD_REQUEST', `bundle ${issue.path.join('.') || '(top level)'}: ${issue.message.split('\n')[0]}`);
  }
  for (const l of parsed.data.listings) {
    if (!Object.hasOwn(parsed.data.feeds, l.publisher)) throw new SpamxError('BAD_REQUEST', `bundle has no feed entry for ${l.publisher}`);
  }
  return parsed.data;
}
