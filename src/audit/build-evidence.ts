import { formatTimestamp } from '../core/time.js';
import { inclusionProof } from '../core/merkle.js';
import type { EvidenceSource } from './evidence-source.js';
import { readBatchJws } from '../store/batch-parts.js';
import { subtreeReader } from '../store/tree-store.js';
import { sealedInnerOf } from '../store/sealed-store.js';
import { EVIDENCE_FORMAT, type EvidenceBundle, type EvidenceListing } from '../verify/evidence-bundle.js';
import { feedEvidence, type HeldFeed } from './feed-evidence.js';

const b64 = (h: Buffer) => h.toString('base64');

function sealedInner(node: EvidenceSource, publisher: string, seq: number): { inner?: string } {
  const inner = sealedInnerOf(node.store, publisher, seq);
  return inner === undefined ? {} : { inner };
}

/**
 * The evidence bundle for one address (src/PROTOCOL.md "Evidence bundles"): for every active source of
 * every stored prefix covering it (`lookup`), the batch that listed it and its inclusion proof
 * in the tree of the newest checkpoint held for that feed, plus each feed's keys, checkpoint and
 * witnesses. `skipped` says why a listing could not be proven (no checkpoint covering its batch
 * yet, publisher no longer pinned); the bundle is undefined when the address is not listed or
 * nothing could be proven.
 */
export function buildEvidence(
  node: EvidenceSource,
  ip: string,
  progress?: (done: number, total: number) => void,
): { bundle: EvidenceBundle | undefined; skipped: string[]; notListed?: string } {
  const found = node.lookup(ip);
  if (!found.listed) return { bundle: undefined, skipped: [], notListed: found.notListedBecause.join('; ') || 'no active listing covers it' };
  const feeds = new Map<string, HeldFeed | string>();
  const listings: EvidenceListing[] = [];
  const skipped: string[] = [];
  // Each listing reads its batch (up to 48 MiB) and a proof: `progress` counts them.
  const total = found.matches.reduce((n, m) => n + m.sources.filter((s) => s.state === 'active').length, 0);
  let done = 0;
  for (const match of found.matches) {
    for (const source of match.sources.filter((s) => s.state === 'active')) {
      progress?.(done++, total);
      const { publisher, seq } = source.batch;
      if (!feeds.has(publisher)) feeds.set(publisher, feedEvidence(node, publisher));
      const held = feeds.get(publisher)!;
      const jws = readBatchJws(node.store, publisher, seq);
      const why =
        typeof held === 'string' ? held : seq > held.size ? `the newest checkpoint held (size ${held.size}) does not cover it yet` : jws === undefined ? 'the batch is not stored' : '';
      if (typeof held === 'string' || why || jws === undefined) {
        skipped.push(`${publisher}'s listing of ${match.prefix} (seq ${seq}): ${why}`);
        continue;
      }
      const read = subtreeReader(node.store, publisher);
      listings.push({
        publisher,
        prefix: match.prefix,
        seq,
        batch: jws,
        // A sealed batch: the inner JWS this node opened (or published), which proves its entries.
        ...(sealedInner(node, publisher, seq)),
        leafHash: b64(read(0, seq - 1)),
        inclusion: { leafIndex: seq - 1, treeSize: held.size, proof: inclusionProof(read, seq - 1, held.size).map(b64) },
      });
    }
  }
  progress?.(done, total);
  if (listings.length === 0) return { bundle: undefined, skipped };
  const usedFeeds = Object.fromEntries(
    [...new Set(listings.map((l) => l.publisher))].map((p) => [p, (feeds.get(p) as HeldFeed).feed]),
  );
  const dataset = node.originDataset();
  const bundle: EvidenceBundle = {
    format: EVIDENCE_FORMAT,
    address: found.address,
    node: node.config.id,
    createdAt: formatTimestamp(node.clock()),
    // Informational, as node and createdAt: where the node routes the address, by which data.
    origin: { ...found.origin, dataset: { id: dataset.id, sets: dataset.sets.map((d) => ({ ...d })) } },
    listings,
    feeds: usedFeeds,
  };
  return { bundle, skipped };
}
