import { parseWitnessKey } from '../../verify/cosigners.js';
import { parseEvidenceBundle } from '../../verify/evidence-bundle.js';
import { verifyEvidence } from '../../verify/verify-evidence.js';
import { intOption, type JsonOptions } from '../args.js';
import { readPublisherKeys, readText } from './input-files.js';

export interface VerifyEvidenceOptions extends JsonOptions {
  readonly key?: string;
  readonly checkpointKey?: string;
  readonly witness?: string[];
  readonly quorum?: string;
}

/**
 * `spamx verify-evidence BUNDLE [--key FILE] [--checkpoint-key VKEY] [--witness VKEY]... [--quorum K]`:
 * checks an evidence bundle with no network (src/verify/verify-evidence.ts) and prints each
 * listing's checks; exit 0 when every listing holds, 1 naming the first failed check otherwise.
 * What is not given is taken from the bundle, and the summary says which.
 */
export async function verifyEvidenceCommand(file: string, o: VerifyEvidenceOptions): Promise<number> {
  const quorum = intOption(o.quorum, '--quorum', 0, 100) ?? 1;
  const bundle = parseEvidenceBundle(readText(file));
  const keys = o.key === undefined ? undefined : await readPublisherKeys(o.key);
  const witnesses = o.witness?.map(parseWitnessKey);
  const result = await verifyEvidence(bundle, { keys, checkpointKey: o.checkpointKey, witnesses, quorum });
  if (o.json) {
    const { address, ok, listings } = result;
    process.stdout.write(`${JSON.stringify({ address, node: bundle.node, createdAt: bundle.createdAt, origin: bundle.origin ?? null, ok, listings }, null, 2)}\n`);
  } else {
    const lines = [`evidence for ${result.address} from ${bundle.node}, made ${bundle.createdAt}`];
    const o = bundle.origin;
    // Informational, as the maker and time: nothing here is checked against it.
    if (o) lines.push(`  registered in ${o.country ?? 'unknown country'}${o.asn === null ? '' : `, AS${o.asn}`} by ${bundle.node}'s origin data ${o.dataset.id}`);
    for (const l of result.listings) {
      lines.push(`  ${l.publisher} lists ${l.prefix} in batch seq ${l.seq}:`);
      for (const step of l.steps) lines.push(`    ${step.name}: ${step.ok ? 'ok' : 'FAILED'}: ${step.detail}`);
    }
    const good = result.listings.filter((l) => l.ok).map((l) => `${l.publisher} (${l.prefix})`);
    lines.push(result.ok ? `VERIFIED: ${result.address} is listed by ${good.join(', ')}` : `NOT VERIFIED`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  for (const l of result.listings.filter((x) => !x.ok)) {
    const step = l.steps.at(-1)!;
    process.stderr.write(`spamx verify-evidence: ${l.publisher} seq ${l.seq}: ${step.name}: ${step.detail}\n`);
  }
  return result.ok ? 0 : 1;
}
