import { readFileSync } from 'node:fs';
import type { ParsedReport } from '../../core/report.js';
import { SpamxError } from '../../core/errors.js';
import { DATA, dataDir, parse } from '../args.js';
import { withNode } from './open-node.js';

/** `spamx report FILE|-`: queue reports for the next batch; refused lines are listed on stderr. */
export async function report(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...DATA }, { min: 1, max: 1 });
  const source = positionals[0]!;
  const text = readFileSync(source === '-' ? 0 : source, 'utf8');
  return withNode(dataDir(values.data), async (node) => answer(node.reportText(text), source));
}

/** `spamx delist PREFIX…`: queue delist entries for the next batch. */
export async function delist(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...DATA, reason: { type: 'string' } }, { min: 1, max: Infinity });
  return withNode(dataDir(values.data), async (node) => answer(node.delist(positionals, values.reason ?? null), 'arguments'));
}

/** `spamx publish`: cut batches from the queue now. */
export async function publish(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...DATA }, { min: 0, max: 0 });
  return withNode(dataDir(values.data), async (node) => {
    const batches = await node.publish();
    if (batches.length === 0) process.stdout.write('nothing queued; no batch cut\n');
    for (const b of batches) process.stdout.write(`published seq ${b.seq}: ${b.entries} entries, leaf hash ${b.leafHash}\n`);
    return 0;
  });
}

function answer(parsed: ParsedReport, source: string): number {
  for (const r of parsed.refused) process.stderr.write(`${source}:${r.line}: ${r.text}: ${r.code}: ${r.reason}\n`);
  process.stdout.write(`queued ${parsed.accepted.length}, refused ${parsed.refused.length}\n`);
  if (parsed.accepted.length === 0 && parsed.refused.length > 0) throw new SpamxError('BAD_REQUEST', 'no line was accepted');
  return 0;
}
