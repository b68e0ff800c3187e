/**
 * Every failure spamx reports carries one of these stable codes. They appear in logs, in
 * `spamx status`, in refusal lists and in HTTP error bodies, so renaming one is a breaking
 * change. HTTP statuses for them live in one table: src/serve/error-status.ts.
 */
export const BATCH_REJECTION_CODES = [
  // Transport: the peer (or mirror) could not deliver a well-formed page.
  'PEER_UNREACHABLE',
  'PEER_HEADERS_TIMEOUT',
  'PEER_BODY_TIMEOUT',
  'PEER_DEADLINE_EXCEEDED',
  'PEER_BODY_TOO_LARGE',
  'PEER_HTTP_ERROR',
  'PEER_BAD_RESPONSE',
  // Authenticity of one batch (PROTOCOL "Validity and local policy", question 1).
  'JWS_TOO_LARGE',
  'JWS_MALFORMED',
  'JWS_BAD_HEADER',
  'JWS_ALG_NONE',
  'JWS_ALG_NOT_ALLOWED',
  'JWS_BAD_TYP',
  'JWS_UNKNOWN_CRIT',
  'JWS_EMBEDDED_KEY',
  'JWS_UNKNOWN_KID',
  'JWS_BAD_SIGNATURE',
  // The signing key exists but may not sign this seq (README "Key rotation").
  'JWS_REVOKED_KEY',
  'JWS_KEY_NOT_IN_FORCE',
  'BATCH_INVALID_JSON',
  'BATCH_DUPLICATE_KEY',
  'BATCH_BAD_SHAPE',
  'BATCH_TOO_MANY_ENTRIES',
  'BATCH_WRONG_PUBLISHER',
  'BATCH_SEQ_GAP',
  'BATCH_PREV_MISMATCH',
  // A publisher's key statements (README "Key rotation"): a refused one fails the pull as a bad batch does.
  'KEYS_MALFORMED',
  'KEYS_WRONG_PUBLISHER',
  'KEYS_NOT_AUTHORIZED',
  'KEYS_NEW_KEY_UNSIGNED',
  'KEYS_CHAIN_BROKEN',
  // A sealed batch (PROTOCOL "Additions: partners only") named this node as a recipient but its
  // content cannot be trusted: it is stored in the log (its outer signature is good) and applies
  // nothing. Its JWE does not open with this node's encryption keys; the inner JWS does not hash
  // to the logged innerDigest; or the inner JWS is not the publisher's batch of that seq.
  'SEALED_UNREADABLE',
  'SEALED_DIGEST_MISMATCH',
  'SEALED_BAD_INNER',
] as const;

/** Why one entry of an authentic batch (or one line of a local report) was not acted on. */
export const REFUSAL_CODES = [
  'ENTRY_MALFORMED',
  'PREFIX_INVALID',
  'PREFIX_HOST_BITS',
  'PREFIX_DUPLICATE',
  'PREFIX_SPECIAL_PURPOSE',
  'PREFIX_ALLOWLISTED',
  'PREFIX_TOO_SHORT',
  'QUOTA_EXCEEDED',
  // A batch's `tlp` is not a TLP 2.0 label: its entries are held as red (core/tlp.ts batchTlp).
  'TLP_UNKNOWN',
] as const;

export const OTHER_CODES = [
  'BAD_REQUEST',
  'UNAUTHORIZED',
  'FORBIDDEN',
  // A federation request's RFC 9421 signature (PROTOCOL "Partners only"): absent, malformed or not
  // verifying, outside the accepted age, by a key this node has not pinned, or seen before.
  'SIGNATURE_MISSING',
  'SIGNATURE_INVALID',
  'SIGNATURE_EXPIRED',
  'SIGNATURE_KEY_UNKNOWN',
  'SIGNATURE_REPLAYED',
  // A stored batch this requester may not have (core/batch-audience.ts): a restricted label or a
  // sealed batch on a mirrored feed, or a restricted label asked for without a partner's signature.
  'BATCH_WITHHELD',
  // A scoped subscriber key asked about an address outside its scope (PROTOCOL "Additions: origins").
  'OUTSIDE_SCOPE',
  // An origin data file (RIR delegated-extended statistics, an ASN or country CSV) that does not parse.
  'ORIGINS_INVALID',
  // A spam sample or abuse report (`spamx report --mail`, POST /v1/reports/mail) that gave no
  // origin: not a message, over the size bound, no hop from outside the trusted relays, a
  // Received field whose client cannot be read, or feedback of another kind than abuse.
  'MAIL_MALFORMED',
  'MAIL_TOO_LARGE',
  'MAIL_NO_ORIGIN',
  'MAIL_RECEIVED_UNREADABLE',
  'MAIL_FEEDBACK_SKIPPED',
  'RATE_LIMITED',
  'CURSOR_EXPIRED',
  'NOT_FOUND',
  'CONFLICT',
  'PAYLOAD_TOO_LARGE',
  'CONFIG_INVALID',
  'IDENTITY_EXISTS',
  'PEER_INVALID',
  'PEER_BUSY',
  'FEED_FROZEN',
  // An evidence bundle (src/PROTOCOL.md "Evidence bundles") that does not prove the listing it states.
  'EVIDENCE_INVALID',
  // Too many streamed responses (batch pages, blocklist, streams) open for one client address or
  // subscriber key (429), or for the whole node (503); both answer Retry-After (src/serve/response-limits.ts).
  'TOO_MANY_STREAMS',
  'SERVER_BUSY',
  'INTERNAL',
] as const;

export type BatchRejectionCode = (typeof BATCH_REJECTION_CODES)[number];
export type RefusalCode = (typeof REFUSAL_CODES)[number];
export type ErrorCode = BatchRejectionCode | RefusalCode | (typeof OTHER_CODES)[number];

export class SpamxError extends Error {
  override readonly name = 'SpamxError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** A SpamxError as plain data, to cross between threads (a structured clone drops its class). */
export interface SpamxErrorData {
  readonly code: ErrorCode;
  readonly message: string;
  readonly details?: Record<string, unknown>;
}

/** Any thrown value as SpamxErrorData: a SpamxError as it is, anything else as INTERNAL. */
export function toErrorData(err: unknown): SpamxErrorData {
  const e = err instanceof SpamxError ? err : new SpamxError('INTERNAL', describeError(err));
  return { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) };
}

export function fromErrorData(data: SpamxErrorData): SpamxError {
  return new SpamxError(data.code, data.message, data.details);
}

export function isSpamxError(err: unknown, code?: ErrorCode): err is SpamxError {
  return err instanceof SpamxError && (code === undefined || err.code === code);
}

/** A one-line description of any thrown value, for logs and CLI output. */
export function describeError(err: unknown): string {
  if (err instanceof SpamxError) return `${err.code}: ${err.message}`;
  if (err instanceof Error) return err.message;
  return String(err);
}
