import { clipText } from './clip-text.js';
import { parsePrefix, prefixContains, type Prefix } from './prefix.js';
import { parseReceived, type ReceivedHop } from './received-header.js';

/** Why a message gave no origin; each is a stable code (core/errors.ts) counted in a run's summary. */
export type MailRefusalCode =
  | 'MAIL_MALFORMED'
  | 'MAIL_TOO_LARGE'
  | 'MAIL_NO_ORIGIN'
  | 'MAIL_RECEIVED_UNREADABLE'
  | 'MAIL_FEEDBACK_SKIPPED';

export interface MailRefusal {
  readonly ok: false;
  readonly code: MailRefusalCode;
  readonly reason: string;
}

/** Where a message came from: the first hop received from outside the trusted relays. */
export interface MailOrigin {
  readonly ok: true;
  readonly address: string;
  /** When that hop happened (its `Received` date), ms; null when the field had no readable date. */
  readonly at: number | null;
  /** How it was found: a `Received` walk, an ARF report (RFC 5965) or an X-ARF report. */
  readonly via: 'received' | 'arf' | 'x-arf';
  /** 1-based position of the origin's `Received` field from the top; 0 when a report named the address. */
  readonly hop: number;
}

export type MailVerdict = MailOrigin | MailRefusal;

export function refusal(code: MailRefusalCode, reason: string): MailRefusal {
  return { ok: false, code, reason };
}

/**
 * When the origin is reported seen: its hop's date, or `now` when it has none. A hop dated ahead
 * of `now` is a sender's clock, not an observation from the future: it is `now` too.
 */
export function originSeenAt(origin: MailOrigin, now: number): number {
  return origin.at === null || origin.at > now ? now : origin.at;
}

/**
 * The centre's own relays (config `mail.trustedRelays`): CIDR prefixes or addresses, and host
 * names (`mx1.centre.example`; `.centre.example` or `*.centre.example` for every name under it).
 * Loopback is always trusted: a hop from 127.0.0.1 or ::1 is a hand-over inside the host (a
 * content filter re-injecting, a local submission).
 */
export class TrustedRelays {
  private readonly prefixes: Prefix[] = [];
  private readonly names = new Set<string>();
  private readonly suffixes: string[] = [];

  constructor(entries: readonly string[]) {
    for (const entry of ['127.0.0.0/8', '::1', ...entries]) {
      const problem = trustedRelayProblem(entry);
      if (problem) throw new Error(problem);
      const parsed = parsePrefix(entry.trim());
      if (parsed.ok) this.prefixes.push(parsed.prefix);
      else {
        const name = entry.trim().toLowerCase().replace(/\.$/, '');
        if (name.startsWith('*.') || name.startsWith('.')) this.suffixes.push(name.slice(name.indexOf('.')));
        else this.names.add(name);
      }
    }
  }

  /** The hop came from one of the centre's relays: its address in a trusted prefix, or the name its receiver resolved for it. */
  trusts(hop: ReceivedHop): boolean {
    if (hop.address !== null) {
      const parsed = parsePrefix(hop.address);
      if (parsed.ok && this.prefixes.some((p) => prefixContains(p, parsed.prefix))) return true;
    }
    const name = hop.reverseName;
    if (name === null) return false;
    return this.names.has(name) || this.suffixes.some((s) => name.endsWith(s));
  }
}

/** Why a `mail.trustedRelays` entry is not usable, or null when it is (config validation). */
export function trustedRelayProblem(entry: string): string | null {
  const t = entry.trim();
  if (/^[0-9A-Fa-f:.]+(\/\d+)?$/.test(t) && (t.includes(':') || /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(t))) {
    const parsed = parsePrefix(t);
    return parsed.ok ? null : `mail.trustedRelays: "${entry}": ${parsed.reason}`;
  }
  if (/^(\*\.|\.)?[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$/.test(t)) return null;
  return `mail.trustedRelays: "${entry}" is neither a CIDR prefix, an address nor a host name (".example.net" for every name under it)`;
}

/**
 * The origin hop of a message, from its `Received` fields top first (the order they are in the
 * header: each relay prepends its own, RFC 5321 §4.4). Walking down, a hop whose client is a
 * trusted relay means the field below it was written by that relay, so it is read too; the first
 * hop from a client outside them is the origin. Fields below it are written by machines nobody
 * here vouches for (a spammer writes whatever it likes there), so they are never read.
 *
 * A hop with no connection (a local injection: no `from`, `with local`) is skipped. A field with
 * a `from` whose client address cannot be found is a refusal: reading past it would take a
 * forged line for the origin, and taking its HELO would be a guess.
 */
export function originOfReceived(fields: readonly string[], trusted: TrustedRelays): MailVerdict {
  if (fields.length === 0) return refusal('MAIL_NO_ORIGIN', 'the message has no Received field');
  let lastDate: number | null = null;
  for (let i = 0; i < fields.length; i++) {
    const hop = parseReceived(fields[i]!);
    if (hop.at !== null) lastDate = hop.at;
    if (hop.local) continue;
    if (hop.address === null) {
      if (trusted.trusts(hop)) continue;
      return refusal('MAIL_RECEIVED_UNREADABLE', `Received field ${i + 1} has no client address that can be read: ${clipText(fields[i]!.replace(/\s+/g, ' ').trim())}`);
    }
    if (trusted.trusts(hop)) continue;
    // The hop's own date; when it has none, the date of the trusted hop above it (when our own
    // relay took it over), which is the nearest bound there is.
    return { ok: true, address: hop.address, at: hop.at ?? lastDate, via: 'received', hop: i + 1 };
  }
  return refusal('MAIL_NO_ORIGIN', `every one of the ${fields.length} Received fields is a trusted relay or a local hand-over`);
}
