import type { Registry } from 'prom-client';

/*
 * Counters and histograms for the paths that run per request or per DNS query. prom-client's
 * own metrics hash their label set on every `inc`/`observe`, even through a child from
 * `labels()`; these keep one plain slot per label set, which the caller looks up once (a Map
 * keyed by a short string) and then only adds to. prom-client renders them at scrape time: each
 * is registered as a metric whose `get()` answers what prom-client's own would.
 */

type Labels = Record<string, string>;
interface MetricValue {
  readonly labels: Labels;
  readonly value: number;
  readonly metricName?: string;
}

/** One label set's count. */
export interface CounterSlot {
  value: number;
}

/** A counter whose label sets are slots kept by their key. */
export class PlainCounter {
  private readonly slots = new Map<string, { labels: Labels; slot: CounterSlot }>();

  constructor(registry: Registry, readonly name: string, readonly help: string) {
    registry.registerMetric({
      name,
      get: () => ({ name, help, type: 'counter', aggregator: 'sum', values: this.values() }),
    } as never);
  }

  /** The slot of a label set, made on first use; `key` must name the label values uniquely. */
  slot(key: string, labels: () => Labels): CounterSlot {
    let entry = this.slots.get(key);
    if (!entry) this.slots.set(key, (entry = { labels: labels(), slot: { value: 0 } }));
    return entry.slot;
  }

  private values(): MetricValue[] {
    return [...this.slots.values()].map(({ labels, slot }) => ({ labels, value: slot.value }));
  }
}

/** One label set's histogram: cumulative counts are made at scrape time. */
export class HistogramSlot {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    this.sum += value;
    this.count++;
    const { bounds } = this;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        this.counts[i]!++;
        return;
      }
    }
  }
}

/** A histogram (seconds) whose label sets are slots kept by their key. */
export class PlainHistogram {
  private readonly slots = new Map<string, { labels: Labels; slot: HistogramSlot }>();

  constructor(
    registry: Registry,
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
  ) {
    registry.registerMetric({
      name,
      get: () => ({ name, help, type: 'histogram', aggregator: 'sum', values: this.values() }),
    } as never);
  }

  slot(key: string, labels: () => Labels): HistogramSlot {
    let entry = this.slots.get(key);
    if (!entry) this.slots.set(key, (entry = { labels: labels(), slot: new HistogramSlot(this.bounds) }));
    return entry.slot;
  }

  private values(): MetricValue[] {
    const values: MetricValue[] = [];
    for (const { labels, slot } of this.slots.values()) {
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += slot.counts[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: String(bound) }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: slot.count });
      values.push({ metricName: `${this.name}_sum`, labels, value: slot.sum });
      values.push({ metricName: `${this.name}_count`, labels, value: slot.count });
    }
    return values;
  }
}
