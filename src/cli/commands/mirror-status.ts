import { printable } from '../../core/printable.js';
import type { MirrorPoll } from '../../store/mirror-poll-store.js';

/** `spamx status`'s lines on the subscribers' rbldnsd mirrors: each key's last poll by `spamx mirror`. */
export function mirrorLines(mirrors: readonly MirrorPoll[]): string[] {
  if (mirrors.length === 0) return [];
  return [
    `  mirrors (spamx mirror): ${mirrors.length}`,
    ...mirrors.map((m) => `    ${printable(m.subscriber)}: last poll ${m.lastPollAt} (${printable(m.agent)})${m.revoked ? ', key revoked' : ''}`),
  ];
}
