/** A witness's latest cosignature of a feed: the size it vouches for and when (seconds). */
export interface Vouch {
  readonly witness: string;
  readonly size: number;
  readonly timestamp: number;
}

/**
 * The largest checkpoint size at least `quorum` distinct witnesses vouch for (a witness that
 * cosigned a larger consistent checkpoint vouches for every smaller one), and the time by which
 * that many had: the quorum-th newest of their cosignature times. Undefined when fewer than
 * `quorum` witnesses have cosigned anything.
 */
export function witnessedCheckpoint(vouches: readonly Vouch[], quorum: number): { size: number; at: number } | undefined {
  const latest = new Map<string, Vouch>();
  for (const v of vouches) {
    const known = latest.get(v.witness);
    if (!known || v.size > known.size || (v.size === known.size && v.timestamp > known.timestamp)) latest.set(v.witness, v);
  }
  const all = [...latest.values()];
  if (quorum < 1 || all.length < quorum) return undefined;
  const size = all.map((v) => v.size).sort((a, b) => b - a)[quorum - 1]!;
  const at = all
    .filter((v) => v.size >= size)
    .map((v) => v.timestamp)
    .sort((a, b) => b - a)[quorum - 1]!;
  return { size, at };
}
