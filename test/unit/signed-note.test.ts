import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cosign, cosignatureTime } from '../../src/core/cosignature.js';
import { formatCheckpoint, parseCheckpoint } from '../../src/core/checkpoint.js';
import { privateKeyFromSeed, rawPublicKey } from '../../src/core/ed25519.js';
import { formatVerifierKey, parseNote, parseSignerKey, parseVerifierKey, signNote, verifyNote } from '../../src/core/signed-note.js';

/** C2SP signed notes against ../shared/vectors/signed-note.json, checkpoints and cosignatures. */
const vector = JSON.parse(readFileSync(new URL('../../../shared/vectors/signed-note.json', import.meta.url), 'utf8')) as {
  vkey: string;
  skey: string;
  text: string;
  note: string;
};

describe('signed notes (shared C2SP vector)', () => {
  it('signing the vector text reproduces the vector note byte for byte', () => {
    expect(signNote(vector.text, [parseSignerKey(vector.skey)])).toBe(vector.note);
  });

  it('the verifier key text round-trips and verifies the note', () => {
    const key = parseVerifierKey(vector.vkey);
    expect(formatVerifierKey(key.name, key.publicKey)).toBe(vector.vkey);
    expect(verifyNote(parseNote(vector.note), [key])).toEqual([key]);
  });

  it('rejects any change to the note', () => {
    const key = parseVerifierKey(vector.vkey);
    const changed = [
      vector.note.replace('cryptography', 'Cryptography'),
      vector.note.replace('x08go', 'x08gp'),
      vector.note.replace('\u2014 ', '- '),
      vector.note.replace('PeterNeumann x08', 'PeterNeuman x08'),
      vector.note.slice(0, -1),
      vector.note.replace('\n\n', '\n'),
      `${vector.note}\n`,
    ];
    for (const note of changed) expect(() => verifyNote(parseNote(note), [key])).toThrow();
  });

  it('rejects malformed notes and keys cleanly', () => {
    const bad = ['', 'no signatures\n', 'text\n\n\u2014 name !!!\n', 'text\n\n\u2014 name AAAA\n', 'te\u0001xt\n\n\u2014 n AAAAAAAA\n'];
    for (const note of bad) expect(() => parseNote(note)).toThrow(/malformed/);
    expect(() => parseVerifierKey('a+b')).toThrow(/malformed/);
    expect(() => parseVerifierKey(vector.vkey.replace('c74f20a3', 'c74f20a4'))).toThrow(/key ID/);
    expect(() => parseVerifierKey(vector.vkey.replace('+AR', '+AS'))).toThrow();
  });
});

describe('checkpoints and cosignatures', () => {
  const logKey = privateKeyFromSeed(Buffer.alloc(32, 7));
  const witnessKey = privateKeyFromSeed(Buffer.alloc(32, 9));
  const body = formatCheckpoint({ origin: 'spamx/jp-dekyo', size: 42, root: Buffer.alloc(32, 1), extensions: [] });

  it('formats and parses the three checkpoint lines strictly', () => {
    expect(body).toBe(`spamx/jp-dekyo\n42\n${Buffer.alloc(32, 1).toString('base64')}\n`);
    expect(parseCheckpoint(body)).toEqual({ origin: 'spamx/jp-dekyo', size: 42, root: Buffer.alloc(32, 1), extensions: [] });
    for (const broken of [
      body.replace('\n42\n', '\n042\n'),
      body.replace('\n42\n', '\n99999999999999999999\n'),
      body.replace('\n42\n', '\n-1\n'),
      body.replace('=\n', '\n'),
      body.slice(0, -1),
      `\n42\n${Buffer.alloc(32).toString('base64')}\n`,
      `spamx/x\n1\n${Buffer.alloc(31).toString('base64')}\n`,
    ]) {
      expect(() => parseCheckpoint(broken)).toThrow(/malformed checkpoint/);
    }
  });

  it('a witness cosignature verifies with its time, and fails when anything changes', () => {
    const signed = signNote(body, [{ name: 'spamx/jp-dekyo', keyId: parseVerifierKey(formatVerifierKey('spamx/jp-dekyo', rawPublicKey(logKey))).keyId, key: logKey }]);
    const cosigned = signed + cosign(body, 'spamx/cn-isc', witnessKey, 1_795_400_000);
    const note = parseNote(cosigned);
    const witness = { name: 'spamx/cn-isc', publicKey: rawPublicKey(witnessKey) };
    expect(cosignatureTime(note, witness)).toBe(1_795_400_000);
    expect(cosignatureTime(note, { name: 'spamx/hk-ofta', publicKey: rawPublicKey(witnessKey) })).toBeUndefined();
    const forged = cosigned.replace(/(\u2014 spamx\/cn-isc \S{10})./u, (m, p: string) => `${p}${m.at(-1) === 'A' ? 'B' : 'A'}`);
    expect(() => cosignatureTime(parseNote(forged), witness)).toThrow();
    const otherBody = parseNote(signed.replace('\n42\n', '\n43\n') + cosign(body, 'spamx/cn-isc', witnessKey, 1));
    expect(() => cosignatureTime(otherBody, witness)).toThrow(/does not verify/);
  });
});
