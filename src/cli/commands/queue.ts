import { createReadStream, statSync } from 'node:fs';
import { printable } from '../../core/printable.js';
import type { ParsedReport, ReportLineRefusal } from '../../core/report.js';
import { SpamxError } from '../../core/errors.js';
import { parseTlp, tlpRank } from '../../core/tlp.js';
import { recipientsColumn } from '../../core/sealed-payload.js';
import { dataDir, type DataOptions } from '../args.js';
import { collectGarbage } from '../collect-garbage.js';
import { withProgress } from '../progress.js';
import { withLocalReports } from './open-reports.js';

/** `--quiet` on the long commands: no progress bar even on a terminal. */
export interface QuietOptions {
  readonly quiet?: boolean | undefined;
}

/**
 * `spamx report FILE|-`: queue reports for the next batch; refused lines are listed on stderr.
 * The input is read as a stream, a group of lines at a time, each group queued in its own
 * transaction (ingest/local-reports.ts reportStream): a report of millions of lines needs no
 * more memory than a short one, and what was queued stays queued if a later line cannot be read.
 */
export async function report(source: string, o: DataOptions & QuietOptions & { readonly tlp?: string | undefined; readonly to?: readonly string[] | undefined }): Promise<number> {
  // The label the lines are published under (`--tlp`); checked before anything is read.
  const tlpLabel = o.tlp === undefined ? undefined : { tlp: tlpRank(parseTlp(o.tlp, '--tlp')) };
  // `--to`: sealed to these partners (ingest/seal-rules.ts checks each when the first lines are queued).
  const recipients = recipientsColumn(o.to ?? []);
  const label = recipients === null ? tlpLabel : { ...tlpLabel, recipients };
  const stdin = source === '-';
  let size = 0;
  if (!stdin) {
    try {
      size = statSync(source).size; // fails now, with the file's name, if it cannot be read
    } catch (err) {
      throw new SpamxError('BAD_REQUEST', `cannot read ${source}: ${(err as Error).message}`);
    }
  }
  return withLocalReports(dataDir(o.data), async (reports) =>
    withProgress('report', { unit: stdin ? 'lines' : 'bytes', total: size, quiet: o.quiet }, async (progress) => {
      const input = stdin ? process.stdin : createReadStream(source, { highWaterMark: 1 << 16 });
      const result = await reports.reportStream(input, {
        refused: (r) => progress.note(refusedText(source, r)),
        ...(label ? { label } : {}),
        progress: (p) => {
          progress.update(stdin ? p.queued + p.refused : p.bytes);
          collectGarbage(); // the group just queued is garbage (collect-garbage.ts says why)
        },
      });
      progress.stop();
      return summary(result.queued, result.refused);
    }),
  );
}

/** `spamx delist PREFIX…`: queue delist entries for the next batch. */
export async function delist(prefixes: string[], o: DataOptions & { readonly reason?: string }): Promise<number> {
  // Imported here: the whole node's modules (server, DNSBL, mail, pull) are not loaded by
  // `report` and `publish`, which share this file (test/bench/README.md "Reports of 500,000 lines").
  const { withNode } = await import('./open-node.js');
  return withNode(dataDir(o.data), async (node) => answer(node.delist(prefixes, o.reason ?? null), 'arguments'));
}

/** `spamx publish`: cut batches from the queue now; a bar of the queued reports read, on a terminal. */
export async function publish(o: DataOptions & QuietOptions): Promise<number> {
  return withLocalReports(dataDir(o.data), async (reports) => {
    const batches = await withProgress('publish', { unit: 'reports', quiet: o.quiet }, (progress) =>
      reports.publish((p) => {
        progress.update(p.done, p.total);
        collectGarbage(); // told every 8,192 reports read and after each batch (collect-garbage.ts)
      }),
    );
    if (batches.length === 0) process.stdout.write('nothing queued; no batch cut\n');
    for (const b of batches) process.stdout.write(`published seq ${b.seq}: ${b.entries} entries, leaf hash ${b.leafHash}\n`);
    return 0;
  });
}

function answer(parsed: ParsedReport, source: string): number {
  for (const r of parsed.refused) process.stderr.write(refusedText(source, r));
  return summary(parsed.accepted.length, parsed.refused.length);
}

/** Refused text is what the report said: escaped, so it cannot drive the terminal. */
function refusedText(source: string, r: ReportLineRefusal): string {
  return `${printable(source)}:${r.line}: ${printable(r.text)}: ${r.code}: ${printable(r.reason)}\n`;
}

function summary(queued: number, refused: number): number {
  process.stdout.write(`queued ${queued}, refused ${refused}\n`);
  if (queued === 0 && refused > 0) throw new SpamxError('BAD_REQUEST', 'no line was accepted');
  return 0;
}
