#!/usr/bin/env python3
"""An independent check of a spamx feed's transparency data, in Python with no spamx code.

Reads a JSON job on stdin: {"verifierKey", "note", "size", "root", "leaves": [{"index", "jws"}],
"inclusion": [{"index", "leafHash", "proof"}], "consistency": [{"from", "fromRoot", "proof"}]}
(hashes base64, as the node serves them) and prints {"note": err, "leaves": [err], "inclusion":
[err], "consistency": [err]}, each err "" when the check holds. The rules come from their specs:
C2SP signed-note (Ed25519 note signatures), RFC 9162 §2.1.1 (leaf hash SHA-256(0x00 || leaf),
here the batch's compact JWS) and §2.1.3.2 / §2.1.4.2 (verifying inclusion and consistency).
"""
import base64
import hashlib
import json
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def check_note(verifier_key, note, size, root):
    name, key_id_hex, key_b64 = verifier_key.split("+", 2)  # base64 may itself hold "+"
    key = base64.b64decode(key_b64)
    if key[0] != 1:
        return "verifier key is not Ed25519"
    key_id = hashlib.sha256(name.encode() + b"\n" + key).digest()[:4]
    if key_id.hex() != key_id_hex:
        return "verifier key id does not match its key"
    text, _, sigs = note.partition("\n\n")
    text += "\n"
    lines = text.split("\n")
    if lines[1] != str(size) or lines[2] != root:
        return "note does not state the size and root given"
    for line in sigs.strip("\n").split("\n"):
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != "\u2014" or parts[1] != name:
            continue
        sig = base64.b64decode(parts[2])
        if sig[:4] != key_id:
            continue
        try:
            Ed25519PublicKey.from_public_bytes(key[1:]).verify(sig[4:], text.encode())
            return ""
        except Exception:
            return "signature does not verify"
    return "no signature by the verifier key"


def check_inclusion(index, size, leaf_hash, proof, root):
    # RFC 9162 §2.1.3.2
    if index >= size:
        return "index beyond size"
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return "proof too long"
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return "" if sn == 0 and r == root else "inclusion proof does not lead to the root"


def check_consistency(first, second, first_root, second_root, proof):
    # RFC 9162 §2.1.4.2
    if first == second:
        return "" if not proof and first_root == second_root else "bad proof for equal sizes"
    if first & (first - 1) == 0:
        proof = [first_root] + proof
    if not proof:
        return "empty proof"
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return "proof too long"
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return "" if sn == 0 and fr == first_root and sr == second_root else "consistency proof does not hold"


def main():
    job = json.load(sys.stdin)
    b64 = base64.b64decode
    root = b64(job["root"])
    hashes = {i["index"]: b64(i["leafHash"]) for i in job["inclusion"]}
    out = {
        "note": check_note(job["verifierKey"], job["note"], job["size"], job["root"]),
        # The leaf hash over the batch as logged: for a sealed batch, its outer JWS.
        "leaves": [
            "" if hashlib.sha256(b"\x00" + leaf["jws"].encode("ascii")).digest() == hashes.get(leaf["index"]) else "leaf hash differs"
            for leaf in job["leaves"]
        ],
        "inclusion": [check_inclusion(i["index"], job["size"], b64(i["leafHash"]), [b64(p) for p in i["proof"]], root) for i in job["inclusion"]],
        "consistency": [check_consistency(c["from"], job["size"], b64(c["fromRoot"]), root, [b64(p) for p in c["proof"]]) for c in job["consistency"]],
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
