import { existsSync, rmSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { formatCheckpoint } from '../core/checkpoint.js';
import { SpamxError } from '../core/errors.js';
import type { KeyHistory } from '../core/key-history.js';
import type { EncKey, KeyStatementPayload, Revocation, StatementKey } from '../core/key-statement.js';
import { signerFor, signNote } from '../core/signed-note.js';
import { formatTimestamp } from '../core/time.js';
import type { NodeConfig } from '../config/config.js';
import type { Identity } from '../config/identity.js';
import { createEncKeyFiles, encPrivateKeyPath } from '../node-files/create-identity.js';
import { archiveSigningKey, createPendingEncKey, createPendingKey, loadOwnEncKeys, settleEncKey, settleSigningKey } from '../node-files/own-keys.js';
import { saveCheckpoint } from '../store/checkpoint-store.js';
import { feedHead } from '../store/feed-store.js';
import { heldStatements, keyHistoryOf, lastSeqSignedBy, saveStatements } from '../store/key-statement-store.js';
import { writeTransaction, type Store } from '../store/open-store.js';
import { treeRoot, treeSize } from '../store/tree-store.js';
import { toPinnedKey } from '../verify/key-set.js';
import { verifyKeyChain } from '../verify/verify-key-chain.js';
import { loadOwnIdentity } from './own-key-set.js';
import { statedEncKey } from './seal-keys.js';
import { signKeyStatement } from './sign-key-statement.js';

export interface OwnKeyContext {
  readonly store: Store;
  readonly config: NodeConfig;
  readonly clock: () => number;
}

export interface StatementOutcome {
  readonly statement: number;
  readonly fromSeq: number;
  readonly kid: string;
  readonly previousKid: string;
  readonly archived?: string;
}

/**
 * `spamx key rotate` (README "Key rotation"): a new Ed25519 key signs this node's batches from
 * the next seq on. The statement saying so is signed by the old key (authority) and the new one
 * (possession), and stored with `fromSeq` = head + 1 in the transaction that reads the head, so
 * no batch can slip in between. The old private key is archived first; the key files switch
 * last, a step any later start or publish completes if this process dies before it (the new
 * key waits in keys/pending/ until then).
 */
export async function rotateOwnKey(ctx: OwnKeyContext, options: { revokeOld: boolean }): Promise<StatementOutcome> {
  const { store, config } = ctx;
  const old = await loadOwnIdentity(config.paths, store, config.id);
  const next = await createPendingKey(config.paths, new Set(keyHistoryOf(store, config.id).keys.keys()), ctx.clock());
  // The encryption key rotates with it (a new X25519 key, not derived from the new signing key);
  // the old private one is kept in keys/retired/, so batches sealed to it still open.
  const nextEnc = createPendingEncKey(config.paths);
  const archived = archiveSigningKey(config.paths);
  let outcome: StatementOutcome;
  try {
    outcome = writeTransaction(store, () => {
      const history = currentHistory(store, config.id, old);
      const head = feedHead(store, config.id);
      const revoked: Revocation[] = options.revokeOld ? [{ kid: old.kid, afterSeq: head.size }] : [];
      const payload = statementPayload(config.id, history, old, ctx.clock(), {
        fromSeq: head.size + 1,
        keys: [{ kid: next.kid, jwk: next.publicJwk }],
        revoked,
        enc: { kid: nextEnc.kid, jwk: nextEnc.jwk },
      });
      appendOwnStatement(ctx, old, payload, [old, next]);
      // The checkpoint now served is signed by both keys: partners that have followed the
      // rotation and those that have not yet both verify it (c2sp.org/signed-note lets a
      // verifier skip signatures by keys it does not know).
      resignCheckpoint(store, config, [old.signingKey, next.signingKey], ctx.clock());
      return { statement: payload.statement, fromSeq: payload.fromSeq, kid: next.kid, previousKid: old.kid, archived };
    });
  } catch (err) {
    rmSync(next.file, { force: true });
    rmSync(nextEnc.file, { force: true });
    throw err;
  }
  settleSigningKey(config.paths, next.kid);
  settleEncKey(config.paths, nextEnc.kid);
  return outcome;
}

/**
 * `spamx key revoke KID --after-seq N`: this node's batches after N signed by KID are refused
 * from now on, and KID authorises nothing. Signed by the current key. The key signing now cannot
 * be revoked (rotate with --revoke-old instead), nor can N fall below a batch this node itself
 * published with that key: its own history must stay verifiable.
 */
export async function revokeOwnKey(ctx: OwnKeyContext, kid: string, afterSeq: number): Promise<StatementOutcome> {
  const { store, config } = ctx;
  const current = await loadOwnIdentity(config.paths, store, config.id);
  return writeTransaction(store, () => {
    const history = currentHistory(store, config.id, current);
    const record = history.keys.get(kid);
    if (!record) throw new SpamxError('NOT_FOUND', `${kid} is not a key of ${config.id}'s history (spamx key list)`);
    if (history.inForce.includes(kid)) throw new SpamxError('CONFLICT', `${kid} signs ${config.id}'s batches now; rotate it out with spamx key rotate --revoke-old`);
    if (record.revokedAfter !== null && record.revokedAfter <= afterSeq) throw new SpamxError('CONFLICT', `${kid} is already revoked after seq ${record.revokedAfter}`);
    const signed = lastSeqSignedBy(store, config.id, kid);
    if (signed !== null && afterSeq < signed) {
      throw new SpamxError('CONFLICT', `${config.id} published seq ${signed} with ${kid}: revoking it after seq ${afterSeq} would make its own history unverifiable`);
    }
    const payload = statementPayload(config.id, history, current, ctx.clock(), { fromSeq: history.fromSeq, keys: null, revoked: [{ kid, afterSeq }], enc: statedEncKey(store, config.id) });
    appendOwnStatement(ctx, current, payload, [current]);
    return { statement: payload.statement, fromSeq: payload.fromSeq, kid, previousKid: current.kid };
  });
}

/** The own history, which must agree that `identity` signs now (else another rotation won a race). */
function currentHistory(store: Store, id: string, identity: Identity): KeyHistory {
  const history = keyHistoryOf(store, id);
  if (history.count > 0 && history.inForce[0] !== identity.kid) {
    throw new SpamxError('CONFLICT', `another process changed ${id}'s keys meanwhile (${history.inForce[0]} signs now); run the command again`);
  }
  return history;
}

function statementPayload(
  id: string,
  history: KeyHistory,
  current: Identity,
  now: number,
  change: { fromSeq: number; keys: StatementKey[] | null; revoked: Revocation[]; enc: EncKey | undefined },
): KeyStatementPayload {
  const inForce: StatementKey[] =
    history.count === 0 ? [{ kid: current.kid, jwk: current.publicJwk }] : history.inForce.map((kid) => ({ kid, jwk: history.keys.get(kid)!.jwk }));
  return {
    spamx: 1,
    publisher: id,
    statement: history.count + 1,
    prev: history.lastHash,
    issuedAt: formatTimestamp(now),
    fromSeq: change.fromSeq,
    keys: change.keys ?? inForce,
    previous: inForce,
    revoked: change.revoked,
    ...(change.enc ? { enc: change.enc } : {}),
  };
}

/**
 * Makes sure this node's encryption key is the one its key statements name (PROTOCOL "Additions:
 * partners only"): run at every node start and by `spamx report`/`publish`. A node made before
 * sealed batches has no key file: one is made. When no statement names the key yet, a statement
 * that changes nothing else (same keys, same fromSeq) and adds `enc`, signed by the current
 * signing key, is appended; partners learn the key from it on their next pull. Returns the
 * statement's number when one was made.
 */
export async function publishOwnEncKey(ctx: OwnKeyContext): Promise<number | undefined> {
  const { store, config } = ctx;
  const current = await loadOwnIdentity(config.paths, store, config.id);
  settleEncKey(config.paths, statedEncKey(store, config.id)?.kid);
  if (!existsSync(encPrivateKeyPath(config.paths))) {
    try {
      createEncKeyFiles(config.paths);
    } catch (err) {
      // Another process (a CLI command beside the first start) made it a moment ago: use that one.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  const own = loadOwnEncKeys(config.paths)[0]!;
  return writeTransaction(store, () => {
    if (statedEncKey(store, config.id)?.kid === own.kid) return undefined;
    const history = currentHistory(store, config.id, current);
    const payload = statementPayload(config.id, history, current, ctx.clock(), { fromSeq: history.fromSeq, keys: null, revoked: [], enc: { kid: own.kid, jwk: own.jwk } });
    appendOwnStatement(ctx, current, payload, [current]);
    return payload.statement;
  });
}

/** Signs, verifies as any receiver would (against the held chain), and stores one own statement. */
function appendOwnStatement(ctx: OwnKeyContext, current: Identity, payload: KeyStatementPayload, signers: readonly { kid: string; signingKey: KeyObject }[]): void {
  const { store, config } = ctx;
  const text = signKeyStatement(payload, signers.map((s) => ({ kid: s.kid, key: s.signingKey })));
  const held = heldStatements(store, config.id);
  const { fresh } = verifyKeyChain([...held.map((h) => JSON.parse(h.jws) as unknown), JSON.parse(text) as unknown], {
    publisher: config.id,
    pinned: new Map([[current.kid, toPinnedKey(current.kid, current.publicJwk)]]),
    held: held.map((h) => h.payloadHash),
    history: keyHistoryOf(store, config.id),
  });
  saveStatements(store, config.id, fresh.map((f) => ({ statement: f.payload.statement, payloadHash: f.payloadHash, jws: f.text })), ctx.clock());
}

function resignCheckpoint(store: Store, config: NodeConfig, keys: readonly KeyObject[], now: number): void {
  const size = treeSize(store, config.id);
  if (size === 0) return;
  const root = treeRoot(store, config.id, size);
  const note = signNote(formatCheckpoint({ origin: config.origin, size, root, extensions: [] }), keys.map((k) => signerFor(config.origin, k)));
  saveCheckpoint(store, { publisher: config.id, size, root: root.toString('base64'), note, receivedAt: now });
}
