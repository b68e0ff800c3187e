import { readFileSync } from 'node:fs';
import { printable } from '../../core/printable.js';
import type { ParsedReport } from '../../core/report.js';
import { SpamxError } from '../../core/errors.js';
import { dataDir, type DataOptions } from '../args.js';
import { withNode } from './open-node.js';

/** `spamx report FILE|-`: queue reports for the next batch; refused lines are listed on stderr. */
export async function report(source: string, o: DataOptions): Promise<number> {
  const text = readFileSync(source === '-' ? 0 : source, 'utf8');
  return withNode(dataDir(o.data), async (node) => answer(node.reportText(text), source));
}

/** `spamx delist PREFIX…`: queue delist entries for the next batch. */
export async function delist(prefixes: string[], o: DataOptions & { readonly reason?: string }): Promise<number> {
  return withNode(dataDir(o.data), async (node) => answer(node.delist(prefixes, o.reason ?? null), 'arguments'));
}

/** `spamx publish`: cut batches from the queue now. */
export async function publish(o: DataOptions): Promise<number> {
  return withNode(dataDir(o.data), async (node) => {
    const batches = await node.publish();
    if (batches.length === 0) process.stdout.write('nothing queued; no batch cut\n');
    for (const b of batches) process.stdout.write(`published seq ${b.seq}: ${b.entries} entries, leaf hash ${b.leafHash}\n`);
    return 0;
  });
}

function answer(parsed: ParsedReport, source: string): number {
  // Refused text is what the report said: escaped, so it cannot drive the terminal.
  for (const r of parsed.refused) process.stderr.write(`${printable(source)}:${r.line}: ${printable(r.text)}: ${r.code}: ${printable(r.reason)}\n`);
  process.stdout.write(`queued ${parsed.accepted.length}, refused ${parsed.refused.length}\n`);
  if (parsed.accepted.length === 0 && parsed.refused.length > 0) throw new SpamxError('BAD_REQUEST', 'no line was accepted');
  return 0;
}
