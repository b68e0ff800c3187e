import type { Logger } from 'pino';
import { z } from 'zod';
import { isSpamxError, SpamxError } from '../core/errors.js';
import { redactCredentials } from '../core/redact-credentials.js';
import type { KeyHistory } from '../core/key-history.js';
import { MAX_STATEMENTS } from '../core/key-statement.js';
import { formatVerifierKey, parseVerifierKey } from '../core/signed-note.js';
import type { NodeConfig } from '../config/config.js';
import { parsePeerFile, type Peer, type PeerFile } from '../config/peers.js';
import { heldStatements, keyHistoryOf, saveStatements } from '../store/key-statement-store.js';
import { writeTransaction, type Store } from '../store/open-store.js';
import { verifyKeyChain } from '../verify/verify-key-chain.js';
import { writePeerFile } from '../node-files/write-peer-file.js';
import type { PeerHttpClient } from './http-client.js';

export interface FollowDeps {
  readonly store: Store;
  readonly config: NodeConfig;
  readonly clock: () => number;
  readonly log: Logger;
  /** The node's client for small requests, kept across pulls (daemon.ts `controlHttp`). */
  readonly http: PeerHttpClient;
  /** Told when a peer's pins changed, so the running node uses them at once. */
  readonly repinned?: (peer: Peer) => void;
}

const KeysPageSchema = z.object({ publisher: z.string(), statements: z.array(z.unknown()).max(MAX_STATEMENTS) });

/**
 * Brings a peer's keys up to date from one source (README "Key rotation"): fetches the
 * publisher's key statements from it, verifies the ones not held yet against the chain held and
 * the peer's pins (verify-key-chain.ts), stores them, and re-pins the peer to the keys in force
 * and their checkpoint key. Returns the peer as now pinned (the same object when nothing changed).
 * A source without statements (HTTP 404 from a node older than key rotation) changes nothing;
 * one that serves statements which do not verify fails with their code, and nothing is stored.
 */
export async function followKeyStatements(deps: FollowDeps, peer: Peer, source: string, signal?: AbortSignal): Promise<Peer> {
  const url = `${source}/v1/feeds/${encodeURIComponent(peer.id)}/keys`;
  let body: unknown;
  try {
    body = await deps.http.getJson(url, signal);
  } catch (err) {
    if (isSpamxError(err, 'PEER_HTTP_ERROR')) return peer;
    throw err;
  }
  const page = KeysPageSchema.safeParse(body);
  if (!page.success || page.data.publisher !== peer.id) {
    throw new SpamxError('PEER_BAD_RESPONSE', `${redactCredentials(url)} did not answer the key statements of ${peer.id}`);
  }
  const held = heldStatements(deps.store, peer.id);
  const { history, fresh } = verifyKeyChain(page.data.statements, {
    publisher: peer.id,
    pinned: peer.pinned,
    held: held.map((s) => s.payloadHash),
    history: keyHistoryOf(deps.store, peer.id),
  });
  if (fresh.length > 0) {
    const rows = fresh.map((f) => ({ statement: f.payload.statement, payloadHash: f.payloadHash, jws: f.text }));
    writeTransaction(deps.store, () => saveStatements(deps.store, peer.id, rows, deps.clock()));
    deps.log.info({ peer: peer.id, source: redactCredentials(source), statements: rows.map((r) => r.statement), current: history.inForce[0] }, 'key statements verified and stored');
  }
  return repin(deps, peer, history);
}

/**
 * Pins the keys in force (the signing key first) and the checkpoint key of the current one
 * under the same origin name, keeping pins the statements do not name. Retired and revoked keys
 * leave the peer file: they verify old batches from the store's statements, with their ranges,
 * and must never anchor a chain again.
 */
async function repin(deps: FollowDeps, peer: Peer, history: KeyHistory): Promise<Peer> {
  if (history.count === 0) return peer;
  const keys = [
    ...history.inForce.map((kid) => ({ ...history.keys.get(kid)!.jwk, kid })),
    ...[...peer.pinned.values()].filter((k) => !history.keys.has(k.kid)).map((k) => ({ ...k.jwk, kid: k.kid })),
  ];
  const current = history.keys.get(history.inForce[0]!)!.jwk;
  const checkpointKey = peer.checkpointKey
    ? formatVerifierKey(parseVerifierKey(peer.checkpointKey).name, Buffer.from(current.x, 'base64url'))
    : undefined;
  const same = keys.length === peer.pinned.size && keys.every((k, i) => [...peer.pinned.keys()][i] === k.kid) && checkpointKey === peer.checkpointKey;
  if (same) return peer;
  const { pinned: _pinned, file, ...rest } = peer;
  const next: PeerFile = { ...rest, keys: { keys }, ...(checkpointKey ? { checkpointKey } : {}) };
  writePeerFile(deps.config.paths.peers, next);
  const updated = await parsePeerFile(next, file);
  deps.log.info({ peer: peer.id, keys: keys.map((k) => k.kid) }, 'peer re-pinned to its keys in force');
  deps.repinned?.(updated);
  return updated;
}
