import { SpamxError } from './errors.js';

/** A C2SP tlog-checkpoint body (c2sp.org/tlog-checkpoint): origin, tree size, root hash. */
export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly root: Buffer;
  readonly extensions: readonly string[];
}

export function formatCheckpoint(c: Checkpoint): string {
  return `${c.origin}\n${c.size}\n${c.root.toString('base64')}\n${c.extensions.map((e) => `${e}\n`).join('')}`;
}

function bad(why: string): SpamxError {
  return new SpamxError('BAD_REQUEST', `malformed checkpoint: ${why}`);
}

/** Parses a checkpoint body strictly: decimal size without leading zeros, canonical base64. */
export function parseCheckpoint(text: string): Checkpoint {
  const lines = text.split('\n');
  if (lines.length < 4 || lines.at(-1) !== '') throw bad('needs origin, size and root hash lines, each ending with a newline');
  const [origin, sizeText, rootText, ...rest] = lines.slice(0, -1) as [string, string, string, ...string[]];
  if (origin === '') throw bad('empty origin');
  if (!/^(0|[1-9][0-9]{0,15})$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) throw bad(`tree size "${sizeText}"`);
  const root = Buffer.from(rootText, 'base64');
  if (root.length !== 32 || root.toString('base64') !== rootText) throw bad('root hash must be canonical base64 of 32 bytes');
  if (rest.some((l) => l === '')) throw bad('empty extension line');
  return { origin, size: Number(sizeText), root, extensions: rest };
}
