import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { REFUSAL_CODES, type ErrorCode } from '../core/errors.js';

/** The one place error codes map to HTTP statuses. Codes not named here answer 500. */
const STATUS: Partial<Record<ErrorCode, ContentfulStatusCode>> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  // RFC 9421 signed federation requests: 401 until the signature holds, 403 for a key not pinned.
  SIGNATURE_MISSING: 401,
  SIGNATURE_INVALID: 401,
  SIGNATURE_EXPIRED: 401,
  SIGNATURE_REPLAYED: 401,
  SIGNATURE_KEY_UNKNOWN: 403,
  BATCH_WITHHELD: 403,
  OUTSIDE_SCOPE: 403,
  ORIGINS_INVALID: 422,
  // A message understood, but with no origin to report (src/serve/mail-report-routes.ts).
  MAIL_MALFORMED: 422,
  MAIL_TOO_LARGE: 413,
  MAIL_NO_ORIGIN: 422,
  MAIL_RECEIVED_UNREADABLE: 422,
  MAIL_FEEDBACK_SKIPPED: 422,
  RATE_LIMITED: 429,
  TOO_MANY_STREAMS: 429,
  SERVER_BUSY: 503,
  CURSOR_EXPIRED: 410,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  PEER_BUSY: 409,
  FEED_FROZEN: 409,
  PEER_INVALID: 400,
  // Well-formed evidence whose checks fail: the request was understood, the proof does not hold.
  EVIDENCE_INVALID: 422,
  // A pull that failed because of the peer is the peer's fault, reported through us.
  PEER_UNREACHABLE: 502,
  PEER_HEADERS_TIMEOUT: 504,
  PEER_BODY_TIMEOUT: 504,
  PEER_DEADLINE_EXCEEDED: 504,
  PEER_BODY_TOO_LARGE: 502,
  PEER_HTTP_ERROR: 502,
  PEER_BAD_RESPONSE: 502,
};

export function httpStatus(code: ErrorCode): ContentfulStatusCode {
  if ((REFUSAL_CODES as readonly string[]).includes(code)) return 422;
  return STATUS[code] ?? (code.startsWith('JWS_') || code.startsWith('BATCH_') || code.startsWith('KEYS_') ? 502 : 500);
}
