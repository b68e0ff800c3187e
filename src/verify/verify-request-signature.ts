import type { KeyObject } from 'node:crypto';
import { ed25519Verify } from '../core/ed25519.js';
import { SpamxError } from '../core/errors.js';
import {
  parseSignatureHeaders,
  signatureBase,
  signatureInvalid,
  SPAMX_COMPONENTS,
  SPAMX_SIGNATURE_ALG,
  type ReceivedSignature,
} from '../core/http-signature.js';
import type { SeenSignatures } from '../core/seen-signatures.js';
import { serializeMember, type BareItem } from '../core/structured-fields.js';

/** How old a signature's `created` may be (issue 16: "within 5 minutes"). */
export const MAX_SIGNATURE_AGE_SECONDS = 300;
/** How far ahead of this node's clock `created` may be: clocks of partners drift a little. */
export const MAX_CLOCK_AHEAD_SECONDS = 60;

/** A request as the publisher received it, with its two signature headers (absent: undefined). */
export interface ReceivedRequest {
  readonly method: string;
  /**
   * The absolute URIs the requester may have addressed: each URL this node is reached at (its
   * public URL, then `federation.urls`) with the path and query received. The signature must
   * verify over one of them: never over the Host header, which the requester chooses, or a
   * request signed for another node could be replayed here.
   */
  readonly targetUris: readonly string[];
  readonly signatureInput: string | undefined;
  readonly signature: string | undefined;
}

export interface SignaturePolicy {
  /** The pinned public key with this RFC 7638 thumbprint, current or rotated; undefined if none. */
  readonly keyFor: (kid: string) => KeyObject | undefined;
  /** The node's clock, in milliseconds. */
  readonly now: number;
  readonly seen: SeenSignatures;
  readonly maxAgeSeconds?: number;
  readonly maxAheadSeconds?: number;
}

/**
 * Checks a spamx federation request's RFC 9421 signature and answers the signing key's `kid`.
 * The checks run cheapest first, as jose orders them: the headers' structure, the covered
 * components and parameters, the algorithm, the age of `created`, the key, the Ed25519
 * signature over the §2.5 base, and last the replay check, so only verified signatures are
 * remembered. Each failure is a SpamxError with its own code (src/serve/error-status.ts).
 *
 * Strict on purpose: exactly one signature, covering exactly `"@method" "@target-uri"` with
 * exactly `created`, `keyid` and `alg="ed25519"`. A superset (another covered field, a `nonce`)
 * would be as safe, but spamx never sends one, and refusing it keeps the rule one sentence long.
 */
export function verifyRequestSignature(request: ReceivedRequest, policy: SignaturePolicy): string {
  const signed = onlySignature(request);
  const { created, keyid } = spamxParams(signed);
  const nowSeconds = Math.floor(policy.now / 1000);
  const maxAge = policy.maxAgeSeconds ?? MAX_SIGNATURE_AGE_SECONDS;
  const maxAhead = policy.maxAheadSeconds ?? MAX_CLOCK_AHEAD_SECONDS;
  if (nowSeconds - created > maxAge) {
    throw new SpamxError(
      'SIGNATURE_EXPIRED',
      `the signature was created ${nowSeconds - created} s ago, more than the ${maxAge} s accepted: sign each request when sending it, and check the requesting node's clock`,
      { created, now: nowSeconds },
    );
  }
  if (created - nowSeconds > maxAhead) {
    throw new SpamxError(
      'SIGNATURE_EXPIRED',
      `the signature's created time is ${created - nowSeconds} s in the future, more than the ${maxAhead} s of clock drift accepted: check the requesting node's clock (NTP)`,
      { created, now: nowSeconds },
    );
  }
  const key = policy.keyFor(keyid);
  if (key === undefined) {
    throw new SpamxError(
      'SIGNATURE_KEY_UNKNOWN',
      `the request is signed by the key ${keyid}, which this node has not pinned: the operator adds the requesting centre as a peer (spamx peer add) to serve it`,
      { kid: keyid },
    );
  }
  const verifies = (targetUri: string) => ed25519Verify(key, Buffer.from(signatureBase({ method: request.method, targetUri }, signed.input), 'ascii'), signed.signature);
  if (signed.signature.length !== 64 || !request.targetUris.some(verifies)) {
    throw new SpamxError(
      'SIGNATURE_INVALID',
      `the signature by ${keyid} does not verify over this request's method and URI: sign the exact method and absolute URI sent, with the key named by keyid`,
      { kid: keyid },
    );
  }
  if (!policy.seen.remember(signed.signature, (created + maxAge + 1) * 1000, policy.now)) {
    throw new SpamxError('SIGNATURE_REPLAYED', `this signature by ${keyid} was already used: sign every request afresh`, { kid: keyid });
  }
  return keyid;
}

function onlySignature(request: ReceivedRequest): ReceivedSignature {
  const hasInput = request.signatureInput !== undefined && request.signatureInput.trim() !== '';
  const hasSignature = request.signature !== undefined && request.signature.trim() !== '';
  if (!hasInput || !hasSignature) {
    const missing = !hasInput && !hasSignature ? 'Signature-Input and Signature headers' : hasInput ? 'Signature header' : 'Signature-Input header';
    throw new SpamxError(
      'SIGNATURE_MISSING',
      `the request has no ${missing}: this node serves batches only to partners, whose requests are signed with their node key (RFC 9421)`,
    );
  }
  const all = parseSignatureHeaders(request.signatureInput!, request.signature!);
  if (all.length !== 1) throw signatureInvalid(`the request carries ${all.length} signatures; a spamx request carries exactly one`);
  return all[0]!;
}

/** Exactly the two covered components and the three parameters spamx signs with. */
function spamxParams(signed: ReceivedSignature): { created: number; keyid: string } {
  const covered = signed.input.items.map(serializeMember);
  const expected = new Set(SPAMX_COMPONENTS.map((name) => `"${name}"`));
  if (covered.length !== expected.size || new Set(covered).size !== covered.length || !covered.every((c) => expected.has(c))) {
    throw signatureInvalid(`the signature covers (${covered.join(' ')}); a spamx request's signature covers exactly ("@method" "@target-uri")`);
  }
  const params = new Map<string, BareItem>(signed.input.params);
  const extra = [...params.keys()].filter((k) => k !== 'created' && k !== 'keyid' && k !== 'alg');
  if (extra.length > 0) throw signatureInvalid(`the signature has parameters ${extra.join(', ')}; spamx signs with exactly created, keyid and alg`);
  const alg = params.get('alg');
  if (alg?.type !== 'string' || alg.value !== SPAMX_SIGNATURE_ALG) {
    throw signatureInvalid(`the signature's alg is ${alg ? JSON.stringify(alg.value) : 'missing'}; spamx accepts only alg="${SPAMX_SIGNATURE_ALG}"`);
  }
  const created = params.get('created');
  if (created?.type !== 'integer' || created.value < 0) throw signatureInvalid('the signature has no created time (an integer of seconds, RFC 9421 §2.3)');
  const keyid = params.get('keyid');
  if (keyid?.type !== 'string' || keyid.value === '') throw signatureInvalid("the signature has no keyid (the signing key's RFC 7638 thumbprint)");
  return { created: created.value, keyid: keyid.value };
}
