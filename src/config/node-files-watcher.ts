import { readdirSync, statSync } from 'node:fs';
import type { Logger } from 'pino';
import { describeError } from '../core/errors.js';
import type { Policy } from '../core/policy.js';
import type { Prefix } from '../core/prefix.js';
import { loadAllowlist } from './allowlist.js';
import type { NodeConfig } from './config.js';
import { loadPeers, type Peer } from './peers.js';

export interface NodeFilesEvents {
  /** The allowlist's members changed: prefixes either side touches are projected again. */
  readonly allowlistChanged: (before: readonly Prefix[], after: readonly Prefix[]) => void;
  /** The set of pinned peers was read again. */
  readonly peersChanged: () => void;
}

/**
 * The files an operator edits while the node runs, and what the node makes of them: the peers
 * directory (who is pulled, with which keys) and the allowlist (local policy). Read at start,
 * on SIGHUP and whenever they change (`watch`). A broken allowlist keeps the previous one in
 * force; a broken peer file is logged and left out.
 */
export class NodeFiles {
  private signature = '';
  private peerMap = new Map<string, Peer>();
  private currentPolicy: Policy;
  private stamp = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: NodeConfig,
    private readonly log: Logger,
    private readonly events: NodeFilesEvents,
  ) {
    this.currentPolicy = this.loadPolicy();
  }

  policy = (): Policy => this.currentPolicy;

  peers = (): ReadonlyMap<string, Peer> => this.peerMap;

  /** Moves whenever the allowlist's members change (lookup answers depend on it). */
  get allowlistStamp(): number {
    return this.stamp;
  }

  /** A peer re-pinned by a pull that followed its key rotation (the file was rewritten). */
  repinned(peer: Peer): void {
    this.peerMap.set(peer.id, peer);
  }

  async reload(): Promise<void> {
    const { config, log } = this;
    this.signature = fileSignature(config.paths.peers, config.allowlistPath);
    try {
      const before = this.currentPolicy.allowlist.members();
      this.currentPolicy = this.loadPolicy();
      const after = this.currentPolicy.allowlist.members();
      if (before.length !== after.length || before.some((p, i) => p.text !== after[i]!.text)) {
        this.stamp++;
        this.events.allowlistChanged(before, after);
      }
    } catch (err) {
      log.error({ err: describeError(err) }, 'allowlist not reloaded; keeping the previous one');
    }
    const { peers, errors } = await loadPeers(config.paths.peers);
    for (const err of errors) log.error({ code: err.code, err: err.message }, 'peer file ignored');
    this.peerMap = new Map(peers.filter((p) => p.id !== config.id).map((p) => [p.id, p]));
    this.events.peersChanged();
  }

  /** Reloads whenever the files change, checking every `intervalMs`; `tick` runs each time. */
  watch(intervalMs: number, tick: () => void): void {
    this.timer = setInterval(() => {
      void this.reloadIfChanged();
      tick();
    }, intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async reloadIfChanged(): Promise<void> {
    if (fileSignature(this.config.paths.peers, this.config.allowlistPath) === this.signature) return;
    await this.reload();
    this.log.info({ peers: this.peerMap.size, allowlist: this.currentPolicy.allowlist.size }, 'reloaded peers and allowlist');
  }

  private loadPolicy(): Policy {
    const { minPrefixLength } = this.config.policy;
    return { minPrefixLength: { 4: minPrefixLength.v4, 6: minPrefixLength.v6 }, allowlist: loadAllowlist(this.config.allowlistPath) };
  }
}

function fileSignature(peersDir: string, allowlist: string): string {
  const parts: string[] = [];
  const stamp = (file: string) => {
    try {
      const s = statSync(file);
      parts.push(`${file}:${s.mtimeMs}:${s.size}`);
    } catch {
      parts.push(`${file}:-`);
    }
  };
  stamp(allowlist);
  try {
    for (const name of readdirSync(peersDir).sort()) if (name.endsWith('.json')) stamp(`${peersDir}/${name}`);
  } catch {
    parts.push('no-peers-dir');
  }
  return parts.join('|');
}
