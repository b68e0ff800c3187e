import { createHash, type KeyObject } from 'node:crypto';
import { SpamxError } from './errors.js';
import { ed25519Sign, ed25519Verify, privateKeyFromSeed, publicKeyFromRaw, rawPublicKey } from './ed25519.js';

/**
 * C2SP signed notes (c2sp.org/signed-note): text, a blank line, then signature lines
 * `— <key name> base64(key ID ‖ signature)`. Signature types used here: 0x01 Ed25519 (a log's
 * checkpoints) and 0x04 Ed25519 cosignature/v1 (c2sp.org/tlog-cosignature, witnesses).
 */
export const SIG_ED25519 = 0x01;
export const SIG_COSIGNATURE_V1 = 0x04;
const MAX_SIGNATURES = 100;

export interface NoteSignature {
  readonly name: string;
  readonly keyId: Buffer;
  /** What follows the key ID: an Ed25519 signature, or a timestamp and one for cosignatures. */
  readonly body: Buffer;
}

export interface Note {
  /** The signed text, ending with a newline. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

function malformed(why: string): SpamxError {
  return new SpamxError('BAD_REQUEST', `malformed signed note: ${why}`);
}

/** SHA-256(name ‖ "\n" ‖ type ‖ public key)[:4] (c2sp.org/signed-note, "Signatures"). */
export function noteKeyId(name: string, type: number, publicKey: Uint8Array): Buffer {
  return createHash('sha256').update(name).update('\n').update(Buffer.of(type)).update(publicKey).digest().subarray(0, 4);
}

/** A key name: non-empty, no whitespace, no `+` (c2sp.org/signed-note, "Names"). */
function isValidKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name) && !/[\u0000-\u001f\u007f]/.test(name);
}

/** The verifier key text `name+hexkeyid+base64(type ‖ public key)`. */
export function formatVerifierKey(name: string, publicKey: Uint8Array, type = SIG_ED25519): string {
  return `${name}+${noteKeyId(name, type, publicKey).toString('hex')}+${Buffer.concat([Buffer.of(type), publicKey]).toString('base64')}`;
}

export interface VerifierKey {
  readonly name: string;
  readonly keyId: Buffer;
  readonly type: number;
  readonly publicKey: Buffer;
  readonly key: KeyObject;
}

export function parseVerifierKey(text: string): VerifierKey {
  // The base64 key may itself hold '+': only the first two '+' separate fields.
  const m = /^([^+]*)\+([^+]*)\+(.*)$/s.exec(text);
  if (!m) throw malformed('a verifier key is name+keyid+key');
  const [, name, hex, b64] = m as unknown as [string, string, string, string];
  if (!isValidKeyName(name) || !/^[0-9a-f]{8}$/.test(hex)) throw malformed(`bad verifier key name or key ID in "${text}"`);
  const raw = Buffer.from(b64, 'base64');
  if (raw.toString('base64') !== b64 || raw.length !== 33 || (raw[0] !== SIG_ED25519 && raw[0] !== SIG_COSIGNATURE_V1)) {
    throw malformed('a verifier key must be base64 of a type byte (0x01 or 0x04) and 32 bytes');
  }
  const publicKey = raw.subarray(1);
  const keyId = noteKeyId(name, raw[0]!, publicKey);
  if (keyId.toString('hex') !== hex) throw malformed(`key ID ${hex} does not match the key`);
  return { name, keyId, type: raw[0]!, publicKey, key: publicKeyFromRaw(publicKey) };
}

export interface NoteSigner {
  readonly name: string;
  readonly keyId: Buffer;
  readonly key: KeyObject;
}

/** A signer from a private key text `PRIVATE+KEY+name+hexkeyid+base64(0x01 ‖ seed)`. */
export function parseSignerKey(text: string): NoteSigner {
  const m = /^PRIVATE\+KEY\+([^+]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(text);
  if (!m) throw malformed('a signer key is PRIVATE+KEY+name+keyid+key');
  const raw = Buffer.from(m[3]!, 'base64');
  if (raw.length !== 33 || raw[0] !== SIG_ED25519) throw malformed('signer key must be Ed25519');
  const key = privateKeyFromSeed(raw.subarray(1));
  const keyId = noteKeyId(m[1]!, SIG_ED25519, rawPublicKey(key));
  if (keyId.toString('hex') !== m[2]) throw malformed('signer key ID does not match the key');
  return { name: m[1]!, keyId, key };
}

export function signerFor(name: string, key: KeyObject): NoteSigner {
  return { name, keyId: noteKeyId(name, SIG_ED25519, rawPublicKey(key)), key };
}

function checkText(text: string): void {
  if (!text.endsWith('\n')) throw malformed('text must end with a newline');
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(text)) throw malformed('text holds control characters');
}

/** The text followed by one Ed25519 signature line per signer. */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  checkText(text);
  const lines = signers.map((s) => signatureLine(s.name, s.keyId, ed25519Sign(s.key, Buffer.from(text, 'utf8'))));
  return `${text}\n${lines.join('')}`;
}

export function signatureLine(name: string, keyId: Buffer, body: Buffer): string {
  return `\u2014 ${name} ${Buffer.concat([keyId, body]).toString('base64')}\n`;
}

/** Splits a signed note into text and signature lines, checking the format strictly. */
export function parseNote(note: string): Note {
  if (note.length > 1_000_000) throw malformed('note is too large');
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw malformed('no blank line before the signatures');
  const text = note.slice(0, split + 1);
  checkText(text);
  const block = note.slice(split + 2);
  if (!block.endsWith('\n')) throw malformed('signature block must end with a newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length === 0 || lines.length > MAX_SIGNATURES) throw malformed(`between 1 and ${MAX_SIGNATURES} signatures required`);
  const signatures = lines.map((line) => {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/u.exec(line);
    if (!m || !isValidKeyName(m[1]!)) throw malformed(`bad signature line "${line}"`);
    const raw = Buffer.from(m[2]!, 'base64');
    if (raw.toString('base64') !== m[2] || raw.length < 5) throw malformed(`bad signature encoding for ${m[1]}`);
    return { name: m[1]!, keyId: raw.subarray(0, 4), body: raw.subarray(4) };
  });
  return { text, signatures };
}

/**
 * The Ed25519 (type 0x01) signatures by `keys` on a note. Signatures by unknown keys are
 * ignored, as c2sp.org/signed-note allows; a known key whose signature does not verify is an
 * error, and so is a note no known key signed.
 */
export function verifyNote(note: Note, keys: readonly VerifierKey[]): VerifierKey[] {
  const verified: VerifierKey[] = [];
  for (const sig of note.signatures) {
    const key = keys.find((k) => k.type === SIG_ED25519 && k.name === sig.name && k.keyId.equals(sig.keyId));
    if (!key) continue;
    if (!ed25519Verify(key.key, Buffer.from(note.text, 'utf8'), sig.body)) {
      throw new SpamxError('BAD_REQUEST', `signature by ${sig.name} does not verify`);
    }
    if (!verified.includes(key)) verified.push(key);
  }
  if (verified.length === 0) throw new SpamxError('BAD_REQUEST', 'note is not signed by any known key');
  return verified;
}
