import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { peerFilePath, type PeerFile } from '../config/peers.js';

/** Writes a peer file atomically (temp file + rename), so a reader never sees half of it. */
export function writePeerFile(peersDir: string, peer: PeerFile): string {
  mkdirSync(peersDir, { recursive: true });
  const file = peerFilePath(peersDir, peer.id);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(peer, null, 2)}\n`);
  renameSync(tmp, file);
  return file;
}

export function removePeerFile(peersDir: string, id: string): boolean {
  const file = peerFilePath(peersDir, id);
  try {
    rmSync(file);
    return true;
  } catch {
    return false;
  }
}
