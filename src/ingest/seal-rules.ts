import { scopeCovers } from '../core/origin-cut.js';
import type { OriginTable } from '../core/origin-table.js';
import type { QueuedReport } from '../core/report.js';
import { recipientsColumn } from '../core/sealed-payload.js';
import type { Store } from '../store/open-store.js';
import type { QueueLabel } from '../store/queue-store.js';
import { recipientEncKeys } from './seal-keys.js';

/** One `publish.seal` rule of config.json: listings registered in `country` go sealed to `to`. */
export interface SealRule {
  readonly country: string;
  readonly to: readonly string[];
}

/**
 * `publish.seal` (README "Sealed batches"): "every listing registered in country X goes sealed to
 * the centre of X", the bilateral practice of the MoU's exchanges as a rule. A report whose
 * prefix has any address registered in a rule's country (the node's origin data, as the origin
 * filters read it) is queued sealed to that rule's centres; the first matching rule wins, and a
 * report no rule matches stays open. Reports given recipients explicitly (`--to`, `to`) are
 * not looked at.
 */
export class SealRules {
  constructor(
    private readonly rules: readonly SealRule[],
    private readonly origins: () => OriginTable,
  ) {}

  get empty(): boolean {
    return this.rules.length === 0;
  }

  /** The recipients column for one report, or null when no rule matches. */
  recipientsFor(report: QueuedReport): string | null {
    if (this.rules.length === 0) return null;
    const table = this.origins();
    for (const rule of this.rules) {
      if (scopeCovers(table, { countries: [rule.country.toUpperCase()], asns: [], within: [] }, report.prefix.text)) return recipientsColumn(rule.to);
    }
    return null;
  }

  /** Splits reports by the recipients the rules give them (null: open), in their order. */
  split(reports: readonly QueuedReport[]): Map<string | null, QueuedReport[]> {
    const groups = new Map<string | null, QueuedReport[]>();
    for (const r of reports) {
      const to = this.recipientsFor(r);
      const group = groups.get(to);
      if (group) group.push(r);
      else groups.set(to, [r]);
    }
    return groups;
  }
}

/** What LocalReports needs to queue sealed reports: the pinned partners and the config rules. */
export interface Sealing {
  readonly self: string;
  readonly store: Store;
  /** Ids of the partners this node pins now. */
  readonly pinned: () => readonly string[];
  readonly rules: SealRules;
}

/**
 * Reports to queue, grouped by the queue label each goes under: given recipients (`--to`, `to`)
 * are checked — pinned partners with a known encryption key (seal-keys.ts) — and used for all;
 * otherwise the seal rules pick per report. Throws before anything is queued when a recipient
 * cannot be sealed to.
 */
export function sealGroups(sealing: Sealing | undefined, reports: readonly QueuedReport[], label: QueueLabel | undefined): [QueuedReport[], QueueLabel | undefined][] {
  if (label?.recipients) {
    if (sealing) recipientEncKeys(sealing.store, label.recipients.split(' '), sealing.pinned(), sealing.self);
    return [[[...reports], label]];
  }
  if (!sealing || sealing.rules.empty) return [[[...reports], label]];
  const groups = sealing.rules.split(reports);
  for (const to of groups.keys()) if (to !== null) recipientEncKeys(sealing.store, to.split(' '), sealing.pinned(), sealing.self);
  return [...groups].map(([to, rs]) => [rs, to === null ? label : { ...label, recipients: to }]);
}
