import { SpamxError, type ErrorCode } from './errors.js';
import { isTlpLabel, type TlpLabel } from './tlp.js';

/**
 * A sealed batch's `sealed` member (PROTOCOL "Additions: partners only"): instead of `entries`,
 * the centres it is sealed to, its label, the SHA-256 of the inner compact JWS (the publisher's
 * signed entries payload) and the General JWE JSON Serialization (RFC 7516 §7.2.1) whose
 * plaintext is that inner JWS. Everyone can check the outer batch's place in the feed; only the
 * named recipients can read its entries.
 */
export interface SealedMember {
  /** Centre ids, sorted, each once. */
  readonly recipients: readonly string[];
  readonly tlp: TlpLabel;
  /** base64url SHA-256 of the inner compact JWS's ASCII bytes. */
  readonly innerDigest: string;
  readonly jwe: GeneralJwe;
}

/** RFC 7516 §7.2.1, as spamx writes it: one recipient per centre, nothing unprotected shared. */
export interface GeneralJwe {
  readonly protected: string;
  readonly recipients: readonly JweRecipient[];
  readonly iv: string;
  readonly ciphertext: string;
  readonly tag: string;
}

export interface JweRecipient {
  readonly header: JweRecipientHeader;
  readonly encrypted_key: string;
}

/**
 * The per-recipient header (RFC 7518 §4.6.1): the recipient's key id and the X25519 ephemeral
 * key. jose puts the ephemeral key here for each of several recipients, and in the protected
 * header when there is one recipient (its flattened form), so either place is accepted.
 */
export interface JweRecipientHeader {
  readonly alg: typeof SEAL_ALG;
  /** RFC 7638 thumbprint of the recipient's X25519 key (its key statements' `enc`). */
  readonly kid: string;
  readonly epk?: EphemeralKey;
  readonly apu?: string;
  readonly apv?: string;
}

export interface EphemeralKey {
  readonly kty: 'OKP';
  readonly crv: 'X25519';
  readonly x: string;
}

/** Key management: ECDH-ES with the key wrapped by AES-256 key wrap (RFC 7518 §4.6). */
export const SEAL_ALG = 'ECDH-ES+A256KW';
/** Content encryption (RFC 7518 §5.3). */
export const SEAL_ENC = 'A256GCM';
/** At most this many recipients per sealed batch: bilateral and small multilateral sharing. */
export const MAX_SEAL_RECIPIENTS = 32;

const B64URL_RE = /^[A-Za-z0-9_-]*$/;
/** core/batch.ts CENTRE_ID_RE, repeated: batch.ts imports this file, and imports may not cycle. */
const CENTRE_ID_RE = /^[a-z][a-z0-9-]{1,31}$/;
const HASH_RE = /^[A-Za-z0-9_-]{43}$/;
const X25519_X_RE = /^[A-Za-z0-9_-]{43}$/;

const bad = (message: string) => new SpamxError('BATCH_BAD_SHAPE', `"sealed": ${message}`);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The `sealed` member's shape, checked as part of the batch's shape (core/batch.ts): a batch
 * whose `sealed` is malformed is refused whole, as one whose `entries` is not an array. Whether
 * the JWE opens is a recipient's question, asked later (ingest/open-sealed.ts).
 */
export function checkSealedShape(value: unknown): SealedMember {
  if (!isObject(value)) throw bad('is not a JSON object');
  const { recipients, tlp, innerDigest, jwe } = value;
  if (!Array.isArray(recipients) || recipients.length === 0 || recipients.length > MAX_SEAL_RECIPIENTS) {
    throw bad(`"recipients" must hold 1 to ${MAX_SEAL_RECIPIENTS} centre ids`);
  }
  for (const r of recipients) if (typeof r !== 'string' || !CENTRE_ID_RE.test(r)) throw bad(`recipient ${JSON.stringify(r)} is not a centre id`);
  const sorted = [...(recipients as string[])].sort();
  if (new Set(sorted).size !== sorted.length || sorted.some((r, i) => r !== recipients[i])) throw bad('"recipients" must be sorted, each once');
  if (!isTlpLabel(tlp)) throw bad('"tlp" is not a TLP 2.0 label');
  if (typeof innerDigest !== 'string' || !HASH_RE.test(innerDigest)) throw bad('"innerDigest" is not a base64url SHA-256 hash');
  return { recipients: sorted, tlp, innerDigest, jwe: checkJweShape(jwe, sorted.length) };
}

function checkJweShape(value: unknown, recipientCount: number): GeneralJwe {
  if (!isObject(value)) throw bad('"jwe" is not a JSON object');
  for (const name of ['protected', 'iv', 'ciphertext', 'tag'] as const) {
    const v = value[name];
    // The ciphertext (tens of MB) is only typed here: the outer signature covers its exact text,
    // and a recipient's strict decoding of it is part of opening (ingest/open-sealed.ts).
    if (typeof v !== 'string' || (name !== 'ciphertext' && !B64URL_RE.test(v))) throw bad(`"jwe.${name}" is not base64url`);
  }
  for (const name of Object.keys(value)) {
    if (!['protected', 'recipients', 'iv', 'ciphertext', 'tag'].includes(name)) throw bad(`"jwe.${name}" is not accepted (no shared unprotected header, no aad)`);
  }
  const recipients = value.recipients;
  // One JWE recipient per named centre: a recipient that found its own key cannot tell which
  // centre another one is, but a count that differs is a batch made by other means.
  if (!Array.isArray(recipients) || recipients.length !== recipientCount) throw bad(`"jwe.recipients" must hold one recipient per centre (${recipientCount})`);
  const kids = new Set<string>();
  const checked = recipients.map((raw, i) => {
    const where = `"jwe.recipients" ${i}`;
    if (!isObject(raw) || !isObject(raw.header) || typeof raw.encrypted_key !== 'string' || !B64URL_RE.test(raw.encrypted_key)) {
      throw bad(`${where} must be {"header", "encrypted_key"}`);
    }
    const h = raw.header;
    if (h.alg !== SEAL_ALG) throw bad(`${where}: "alg" must be ${SEAL_ALG}`);
    if (typeof h.kid !== 'string' || !HASH_RE.test(h.kid)) throw bad(`${where}: "kid" must be the recipient key's thumbprint`);
    if (kids.has(h.kid)) throw bad(`${where}: key ${h.kid} is named twice`);
    kids.add(h.kid);
    const epk = h.epk === undefined ? undefined : ephemeralKey(h.epk, where, bad);
    for (const p of ['apu', 'apv'] as const) if (h[p] !== undefined && (typeof h[p] !== 'string' || !B64URL_RE.test(h[p]))) throw bad(`${where}: "${p}" is not base64url`);
    const header: JweRecipientHeader = {
      alg: SEAL_ALG,
      kid: h.kid,
      ...(epk ? { epk } : {}),
      ...(typeof h.apu === 'string' ? { apu: h.apu } : {}),
      ...(typeof h.apv === 'string' ? { apv: h.apv } : {}),
    };
    return { header, encrypted_key: raw.encrypted_key };
  });
  return { protected: value.protected as string, recipients: checked, iv: value.iv as string, ciphertext: value.ciphertext as string, tag: value.tag as string };
}

function ephemeralKey(value: unknown, where: string, fail: (message: string) => SpamxError): EphemeralKey {
  if (!isObject(value) || value.kty !== 'OKP' || value.crv !== 'X25519' || typeof value.x !== 'string' || !X25519_X_RE.test(value.x) || 'd' in value) {
    throw fail(`${where}: "epk" must be a public OKP/X25519 key`);
  }
  return { kty: 'OKP', crv: 'X25519', x: value.x };
}

/**
 * The protected header of a sealed batch's JWE, decoded and checked by a recipient: `enc` A256GCM
 * and, for a single recipient, possibly its ephemeral key; nothing else.
 */
export function checkJweProtected(text: string): { readonly epk?: EphemeralKey } {
  const unreadable = (message: string) => new SpamxError('SEALED_UNREADABLE', message);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch {
    throw unreadable('the JWE protected header is not JSON');
  }
  if (!isObject(header) || header.enc !== SEAL_ENC || Object.keys(header).some((k) => k !== 'enc' && k !== 'epk')) {
    throw unreadable(`the JWE protected header must be {"enc":"${SEAL_ENC}"} (with "epk" for a single recipient)`);
  }
  return header.epk === undefined ? {} : { epk: ephemeralKey(header.epk, 'the JWE protected header', unreadable) };
}

/** report_queue.recipients and batches.recipients: the ids sorted, space-separated (null: open). */
export function recipientsColumn(ids: readonly string[]): string | null {
  return ids.length === 0 ? null : [...new Set(ids)].sort().join(' ');
}

/**
 * What storing a sealed batch records besides the batch itself (store/sealed-store.ts): its
 * recipients (batches.recipients, how every node recognises a sealed batch) and, where this
 * node read it, the inner JWS (sealed_inner) — or why a batch sealed to this node was refused.
 */
export interface SealedRecord {
  /** The recipients' ids, sorted, space-separated. */
  readonly recipients: string;
  /** The inner compact JWS, verified, when this node published the batch or opened it. */
  readonly inner?: string;
  /** A batch sealed to this node whose content could not be trusted: nothing of it applies. */
  readonly refusal?: { readonly code: ErrorCode; readonly reason: string };
}
