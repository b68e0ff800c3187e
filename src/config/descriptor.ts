import { z } from 'zod';
import { CENTRE_ID_RE, PROTOCOL_VERSION } from '../core/batch.js';
import { SpamxError } from '../core/errors.js';

/** A partner's `/.well-known/spamx` document (PROTOCOL "Federation endpoints"), plus `url` when exchanged out of band. */
export const DescriptorSchema = z.object({
  id: z.string().regex(CENTRE_ID_RE),
  name: z.string().max(200).optional(),
  country: z.string().max(2).optional(),
  protocol: z.literal(PROTOCOL_VERSION),
  keys: z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1) }),
  /** C2SP verifier key of the centre's checkpoints (PROTOCOL "Transparency"). */
  checkpointKey: z.string().optional(),
  url: z.url().optional(),
});

export type PeerDescriptor = z.output<typeof DescriptorSchema>;

export function parseDescriptor(raw: unknown, where: string): PeerDescriptor {
  const parsed = DescriptorSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new SpamxError('PEER_INVALID', `${where}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  // The descriptor is fetched without a signature: its X25519 `use: enc` key (sealed batches,
  // PROTOCOL "Additions: partners only") is shown to people but never taken from here. A
  // publisher seals only to the key a partner's verified key statements name
  // (ingest/seal-keys.ts), so only signing keys go on to be pinned.
  const signing = parsed.data.keys.keys.filter((k) => k.use !== 'enc' && k.crv !== 'X25519');
  if (signing.length === 0) throw new SpamxError('PEER_INVALID', `${where}: keys: no signing key (only encryption keys)`);
  return { ...parsed.data, keys: { keys: signing } };
}
