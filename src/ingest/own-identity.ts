import type { Logger } from 'pino';
import type { Identity } from '../config/identity.js';
import type { NodeConfig } from '../config/config.js';
import { formatVerifierKey } from '../core/signed-note.js';
import { currentKid } from '../store/key-statement-store.js';
import type { Store } from '../store/open-store.js';
import { loadOwnIdentity } from './own-key-set.js';

/**
 * This node's signing identity, kept current: `spamx key rotate` in another process commits a
 * rotation to the store, and the node picks it up before it next signs (README "Key rotation").
 */
export class OwnIdentity {
  private constructor(
    private readonly config: NodeConfig,
    private readonly store: Store,
    private readonly log: Logger,
    private identity: Identity,
  ) {}

  static async load(config: NodeConfig, store: Store, log: Logger): Promise<OwnIdentity> {
    return new OwnIdentity(config, store, log, await loadOwnIdentity(config.paths, store, config.id));
  }

  get current(): Identity {
    return this.identity;
  }

  /** C2SP verifier key of this node's checkpoints (PROTOCOL "Transparency"). */
  get checkpointKey(): string {
    return formatVerifierKey(this.config.origin, Buffer.from(this.identity.publicJwk.x, 'base64url'));
  }

  /** Loads the key a rotation committed since, if any. */
  async refresh(): Promise<void> {
    const kid = currentKid(this.store, this.config.id);
    if (kid === undefined || kid === this.identity.kid) return;
    this.identity = await loadOwnIdentity(this.config.paths, this.store, this.config.id);
    this.log.info({ kid: this.identity.kid }, 'signing key rotated');
  }
}
