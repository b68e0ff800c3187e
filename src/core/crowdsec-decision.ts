/**
 * The CrowdSec LAPI decision shape (`GET /v1/decisions/stream`), as the Go bouncers decode it
 * (crowdsec `pkg/models.Decision`): spamx serves its effective list to them as ban decisions.
 */
export interface CrowdsecDecision {
  readonly id: number;
  readonly origin: 'spamx';
  readonly scenario: string;
  readonly scope: 'Ip' | 'Range';
  readonly type: 'ban';
  readonly value: string;
  readonly duration: string;
}

/** What a decision is made of: one piece of the effective list. */
export interface DecisionPiece {
  readonly id: number;
  readonly prefix: string;
  /** Sorted, space-separated; null in change-log rows from before sources were logged. */
  readonly sources: string | null;
}

/**
 * `Ip` with the bare address for a /32 or /128 (what LAPI sends for one address), `Range` with
 * the CIDR otherwise. The scenario names the sources, so a script or a log line shows who listed it.
 */
export function crowdsecDecision(piece: DecisionPiece, duration: string): CrowdsecDecision {
  const slash = piece.prefix.lastIndexOf('/');
  const length = piece.prefix.slice(slash + 1);
  const single = length === (piece.prefix.includes(':') ? '128' : '32');
  return {
    id: piece.id,
    origin: 'spamx',
    scenario: piece.sources ? `spamx/${piece.sources.split(' ').join('+')}` : 'spamx',
    scope: single ? 'Ip' : 'Range',
    type: 'ban',
    value: single ? piece.prefix.slice(0, slash) : piece.prefix,
    duration,
  };
}

/**
 * Milliseconds as Go's `time.Duration.String()` writes whole seconds (`719h59m59s`, `2m0s`,
 * `5s`), which the bouncers read with `time.ParseDuration`. Rounded up and at least 1s: a ban
 * may end a moment after the listing does but never before, and a 0 would be read by ipset and
 * nftables timeouts as "for ever".
 */
export function goDuration(ms: number): string {
  let rest = Math.max(1, Math.ceil(ms / 1000));
  const hours = Math.floor(rest / 3600);
  rest -= hours * 3600;
  const minutes = Math.floor(rest / 60);
  const seconds = rest - minutes * 60;
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

/**
 * LAPI's stream filters that depend only on what a decision is, never on its sources: `scopes`
 * (comma-separated, any case) and `origins`. `scenarios_containing` and
 * `scenarios_not_containing` are not honoured: a piece's sources, hence its scenario, change
 * while it stays listed, so a filtered stream could be sent a ban and never its deletion.
 */
export function decisionFilter(scopes: string | undefined, origins: string | undefined): (d: CrowdsecDecision) => boolean {
  const list = (text: string | undefined) => {
    const items = (text ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
    return items.length > 0 ? new Set(items) : undefined;
  };
  const scopeSet = list(scopes);
  const originSet = list(origins);
  return (d) => (!scopeSet || scopeSet.has(d.scope.toLowerCase())) && (!originSet || originSet.has(d.origin));
}
