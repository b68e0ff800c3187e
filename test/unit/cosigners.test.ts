import { describe, expect, it } from 'vitest';
import { formatCheckpoint } from '../../src/core/checkpoint.js';
import { cosign } from '../../src/core/cosignature.js';
import { privateKeyFromSeed, rawPublicKey } from '../../src/core/ed25519.js';
import { formatNote, mergeNotes } from '../../src/core/merge-notes.js';
import { formatVerifierKey, parseNote, signerFor, signNote } from '../../src/core/signed-note.js';
import { parseWitnessKey, verifiedCosigners, witnessVerifierKey } from '../../src/verify/cosigners.js';
import { parseProofHashes } from '../../src/verify/proof-hashes.js';

/** Cosigned checkpoints as evidence bundles carry them: merged notes, witness keys, strict cosignature checks. */
const log = privateKeyFromSeed(Buffer.alloc(32, 1));
const a = privateKeyFromSeed(Buffer.alloc(32, 2));
const b = privateKeyFromSeed(Buffer.alloc(32, 3));
const body = formatCheckpoint({ origin: 'spamx/jp-dekyo', size: 9, root: Buffer.alloc(32, 4), extensions: [] });
const signed = signNote(body, [signerFor('spamx/jp-dekyo', log)]);
const witnessA = { name: 'spamx/cn-isc', publicKey: rawPublicKey(a) };
const witnessB = { name: 'spamx/hk-ofta', publicKey: rawPublicKey(b) };

describe('merged cosigned notes', () => {
  it('carries every signature line of notes over the same text once', () => {
    const viewA = parseNote(signed + cosign(body, witnessA.name, a, 100));
    const viewB = parseNote(signed + cosign(body, witnessB.name, b, 200));
    const merged = mergeNotes([viewA, viewB, viewA]);
    expect(merged.signatures.map((s) => s.name)).toEqual(['spamx/jp-dekyo', 'spamx/cn-isc', 'spamx/hk-ofta']);
    expect(verifiedCosigners(parseNote(formatNote(merged)), [witnessA, witnessB])).toEqual([
      { name: 'spamx/cn-isc', timestamp: 100 },
      { name: 'spamx/hk-ofta', timestamp: 200 },
    ]);
    expect(() => mergeNotes([viewA, parseNote(signNote(body.replace('\n9\n', '\n8\n'), [signerFor('spamx/jp-dekyo', log)]))])).toThrow(/different texts/);
  });

  it('a bad line by a known witness fails the note even beside a good line by the same key', () => {
    const good = cosign(body, witnessA.name, a, 100);
    const line = cosign(body, witnessA.name, a, 300);
    const at = line.length - 20; // inside the Ed25519 signature
    const forged = line.slice(0, at) + (line[at] === 'A' ? 'B' : 'A') + line.slice(at + 1);
    expect(() => verifiedCosigners(parseNote(signed + good + forged), [witnessA])).toThrow(/does not verify/);
    expect(verifiedCosigners(parseNote(signed + good + cosign(body, witnessA.name, a, 300)), [witnessA])).toEqual([{ name: 'spamx/cn-isc', timestamp: 300 }]);
    // Lines by keys not asked about are ignored, as c2sp.org/signed-note allows.
    expect(verifiedCosigners(parseNote(signed + forged), [witnessB])).toEqual([]);
  });

  it('names a witness by its cosignature/v1 (0x04) key or by its checkpoint (0x01) key', () => {
    const v4 = witnessVerifierKey(witnessA);
    expect(Buffer.from(v4.split('+')[2]!, 'base64')[0]).toBe(0x04);
    expect(parseWitnessKey(v4)).toEqual(witnessA);
    expect(parseWitnessKey(formatVerifierKey(witnessA.name, witnessA.publicKey))).toEqual(witnessA);
    expect(() => parseWitnessKey('spamx/cn-isc+00000000+AAAA')).toThrow(/witness key/);
  });
});

describe('proof hashes from untrusted JSON', () => {
  it('takes canonical base64 of 32 bytes only, and no more hashes than a tree can need', () => {
    const h = Buffer.alloc(32, 5).toString('base64');
    expect(parseProofHashes([h], 'p')).toEqual([Buffer.alloc(32, 5)]);
    for (const bad of [h.slice(0, -1), `${h} `, Buffer.alloc(31).toString('base64'), Buffer.alloc(33).toString('base64'), h.replace(/=$/, ''), 7, null]) {
      expect(() => parseProofHashes([bad], 'p')).toThrow(/p hash 0 is not canonical base64 of 32 bytes/);
    }
    expect(() => parseProofHashes(Array(65).fill(h), 'p')).toThrow(/65 hashes/);
  });
});
