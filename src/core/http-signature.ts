import { createPrivateKey, KeyObject } from 'node:crypto';
import { ed25519Sign } from './ed25519.js';
import { SpamxError } from './errors.js';
import { parseDictionary, serializeMember, StructuredFieldError, type Dictionary, type InnerList, type Item } from './structured-fields.js';

/**
 * RFC 9421 HTTP Message Signatures, as spamx nodes sign their federation requests (src/PROTOCOL.md
 * "Partners only"). Our own small implementation rather than a library: spamx needs one algorithm
 * (ed25519), two derived components and strict parsing (a repeated label is refused, where RFC
 * 8941 lets the last one win), with coded errors, a clock passed in and a replay check; the npm
 * package `http-message-signatures` reads the clock itself, answers an unknown key with `null`,
 * and accepts whatever components a signature names. The base builder is general enough to
 * reproduce the RFC's own Appendix B.2.6 example byte for byte.
 */

/** The request a signature covers. Header names are matched case-insensitively. */
export interface SignedMessage {
  readonly method: string;
  readonly targetUri: string;
  readonly headers?: Readonly<Record<string, string | readonly string[] | undefined>>;
}

/** What spamx covers in its own requests (PROTOCOL "Additions: partners only"). */
export const SPAMX_COMPONENTS = ['@method', '@target-uri'] as const;
export const SPAMX_SIGNATURE_ALG = 'ed25519';
export const DEFAULT_SIGNATURE_LABEL = 'sig1';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// An absolute URI as it travels in HTTP: visible ASCII only, so no value can break a base line.
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

/** The RFC 9421 `created` parameter (seconds) for a clock reading in milliseconds. */
export function createdAt(nowMs: number): number {
  return Math.floor(nowMs / 1000);
}

/**
 * The value of one covered component (RFC 9421 §2.1 for fields, §2.2 for derived components).
 * Component parameters (`sf`, `key`, `bs`, `req`, `name`) are not supported.
 */
export function componentValue(name: string, message: SignedMessage): string {
  if (!name.startsWith('@')) return fieldValue(name, message);
  if (name === '@method') {
    // §2.2.1: the method as sent, case-sensitive.
    if (!TOKEN.test(message.method)) throw signatureInvalid(`the method ${JSON.stringify(message.method)} is not an HTTP method token`);
    return message.method;
  }
  const url = targetUrl(message.targetUri);
  switch (name) {
    case '@target-uri': // §2.2.2
      return url.href;
    case '@authority': // §2.2.3: lowercase host, default port omitted (WHATWG URL does both).
      return url.host;
    case '@scheme': // §2.2.4
      return url.protocol.slice(0, -1);
    case '@request-target': // §2.2.5, origin-form
      return url.pathname + url.search;
    case '@path': // §2.2.6
      return url.pathname || '/';
    case '@query': // §2.2.7: "?" alone when there is no query
      return url.search || '?';
    default:
      throw signatureInvalid(`the derived component ${name} is not supported: spamx signatures cover "@method" and "@target-uri"`);
  }
}

/** §2.1: each field line trimmed, several lines joined with ", ". */
function fieldValue(name: string, message: SignedMessage): string {
  if (name !== name.toLowerCase()) throw signatureInvalid(`the field name "${name}" must be lowercase (RFC 9421 §2.1)`);
  const entry = Object.entries(message.headers ?? {}).find(([k]) => k.toLowerCase() === name);
  const value = entry?.[1];
  if (value === undefined) throw signatureInvalid(`the signature covers the field "${name}", which the request does not carry`);
  const lines = typeof value === 'string' ? [value] : value;
  return lines.map((line) => line.replace(/\r?\n[ \t]+/g, ' ').trim()).join(', ');
}

/**
 * The target URI as a URL, refused unless it is an absolute URI of visible ASCII (the WHATWG
 * parser would otherwise silently drop tabs and newlines, so two different strings could sign
 * as one). Both sides use its serialization, so "https://a.example" and "https://a.example/"
 * sign the same.
 */
function targetUrl(targetUri: string): URL {
  if (!VISIBLE_ASCII.test(targetUri)) throw signatureInvalid('the target URI must be an absolute URI of visible ASCII characters');
  try {
    return new URL(targetUri);
  } catch {
    throw signatureInvalid(`the target URI ${JSON.stringify(targetUri)} is not an absolute URI`);
  }
}

/**
 * The signature base of RFC 9421 §2.5: one `"name": value` line per covered component, in the
 * order listed, then the `"@signature-params"` line, with no newline after it.
 */
export function signatureBase(message: SignedMessage, params: InnerList): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const item of params.items) {
    if (item.value.type !== 'string') throw signatureInvalid('each covered component must be a quoted string (RFC 9421 §2)');
    const name = item.value.value;
    if (item.params.length > 0) throw signatureInvalid(`component parameters are not supported (on "${name}")`);
    if (name === '@signature-params') throw signatureInvalid('"@signature-params" cannot be a covered component (RFC 9421 §2.3)');
    if (seen.has(name)) throw signatureInvalid(`the component "${name}" is covered twice (RFC 9421 §2.5)`);
    seen.add(name);
    const value = componentValue(name, message);
    if (/[\r\n]/.test(value)) throw signatureInvalid(`the value of "${name}" holds a line break`);
    lines.push(`${serializeMember(item)}: ${value}`);
  }
  lines.push(`"@signature-params": ${serializeMember(params)}`);
  return lines.join('\n');
}

export interface SignRequestInput {
  readonly method: string;
  readonly targetUri: string;
  /** RFC 9421 `created`, in seconds since the epoch (see `createdAt`). */
  readonly created: number;
  /** The signing key's RFC 7638 thumbprint, as the node's `kid`. */
  readonly kid: string;
  /** A node:crypto Ed25519 private key (Identity.signingKey), or the private JWK a node keeps. */
  readonly privateKey: KeyObject | { readonly kty: string; readonly crv: string; readonly x: string; readonly d: string };
  readonly label?: string;
}

/** The two header values a spamx federation request carries. */
export interface SignatureHeaders {
  readonly signatureInput: string;
  readonly signature: string;
}

/** Signs a request as spamx does: `("@method" "@target-uri");created;keyid;alg="ed25519"`. */
export function signRequest(input: SignRequestInput): SignatureHeaders {
  const params: InnerList = {
    kind: 'inner-list',
    items: SPAMX_COMPONENTS.map((name): Item => ({ kind: 'item', value: { type: 'string', value: name }, params: [] })),
    params: [
      ['created', { type: 'integer', value: input.created }],
      ['keyid', { type: 'string', value: input.kid }],
      ['alg', { type: 'string', value: SPAMX_SIGNATURE_ALG }],
    ],
  };
  const label = input.label ?? DEFAULT_SIGNATURE_LABEL;
  const base = signatureBase(input, params);
  const key = input.privateKey instanceof KeyObject ? input.privateKey : createPrivateKey({ key: { ...input.privateKey }, format: 'jwk' });
  const sig: Item = { kind: 'item', value: { type: 'bytes', value: ed25519Sign(key, Buffer.from(base, 'ascii')) }, params: [] };
  return { signatureInput: `${label}=${serializeMember(params)}`, signature: `${label}=${serializeMember(sig)}` };
}

/** One signature as the two headers carry it under one label (RFC 9421 §4.1, §4.2). */
export interface ReceivedSignature {
  readonly label: string;
  readonly input: InnerList;
  readonly signature: Buffer;
}

/** Headers longer than this are refused before parsing; spamx's own are under 200 characters. */
export const MAX_SIGNATURE_HEADER_LENGTH = 4096;

/**
 * Parses `Signature-Input` and `Signature` strictly: both Dictionaries (RFC 8941), the same
 * labels in each, an Inner List per input and a Byte Sequence with no parameters per signature.
 */
export function parseSignatureHeaders(signatureInput: string, signature: string): ReceivedSignature[] {
  const inputs = parseHeader('Signature-Input', signatureInput);
  const signatures = parseHeader('Signature', signature);
  const out: ReceivedSignature[] = [];
  for (const [label, input] of inputs) {
    if (input.kind !== 'inner-list') throw signatureInvalid(`Signature-Input "${label}" is not an inner list of components (RFC 9421 §4.1)`);
    const sig = signatures.get(label);
    if (sig === undefined) throw signatureInvalid(`Signature-Input has the label "${label}" but Signature does not`);
    if (sig.kind !== 'item' || sig.value.type !== 'bytes' || sig.params.length > 0) {
      throw signatureInvalid(`Signature "${label}" is not a byte sequence (":base64:", RFC 9421 §4.2)`);
    }
    out.push({ label, input, signature: sig.value.value });
  }
  for (const label of signatures.keys()) {
    if (!inputs.has(label)) throw signatureInvalid(`Signature has the label "${label}" but Signature-Input does not`);
  }
  return out;
}

function parseHeader(field: string, text: string): Dictionary {
  if (text.length > MAX_SIGNATURE_HEADER_LENGTH) throw signatureInvalid(`the ${field} header is longer than ${MAX_SIGNATURE_HEADER_LENGTH} characters`);
  try {
    return parseDictionary(text);
  } catch (err) {
    if (err instanceof StructuredFieldError) throw signatureInvalid(`the ${field} header is not an RFC 8941 dictionary: ${err.message}`);
    throw err;
  }
}

/** A SIGNATURE_INVALID error pointing at the rule (verify/verify-request-signature.ts uses it too). */
export function signatureInvalid(message: string): SpamxError {
  return new SpamxError('SIGNATURE_INVALID', `${message} (signed requests: PROTOCOL "Partners only")`);
}
