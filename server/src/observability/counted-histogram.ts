import type { Metric, Registry } from 'prom-client';

export interface CountedHistogramOptions<V extends string> {
  name: string;
  help: string;
  /** Upper bounds, ascending; `+Inf` is implied. */
  buckets: readonly number[];
  /** The histogram's one label, and every value it takes: each series exists from the start, at zero. */
  labelName: string;
  labelValues: readonly V[];
  registers: readonly Registry[];
}

/** One line of the exposition, as the registry reads it from a metric's `get`. */
interface Sample {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

interface Series {
  labels: Record<string, string>;
  /** Observations per bucket (not cumulative); the last slot is above every bound. */
  perBucket: Float64Array;
  sum: number;
  count: number;
}

/**
 * A Prometheus histogram with one label of known values, kept in plain arrays: an observation is
 * a bucket search and three additions. prom-client's own Histogram builds and looks up a key
 * from the labels of every observation, which costs more than the rest of a heartbeat's
 * accounting. The registry reads this one as it reads its own metrics (`get`) and writes the
 * exposition; a unit test holds that text to prom-client's Histogram fed the same observations.
 */
export class CountedHistogram<V extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly bounds: readonly number[];
  private readonly series = new Map<V, Series>();

  constructor(options: CountedHistogramOptions<V>) {
    this.name = options.name;
    this.help = options.help;
    this.bounds = [...options.buckets];
    for (const value of options.labelValues) {
      this.series.set(value, { labels: { [options.labelName]: value }, perBucket: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 });
    }
    // The registry takes any object that answers `get` like its metrics do.
    for (const registry of options.registers) registry.registerMetric(this as unknown as Metric);
  }

  /** The observe function of one label value's series, bound once. */
  observer(labelValue: V): (value: number) => void {
    const series = this.series.get(labelValue);
    if (series === undefined) throw new Error(`${this.name}: no series for ${labelValue}`);
    const bounds = this.bounds;
    return (value) => {
      if (!Number.isFinite(value)) throw new TypeError(`${this.name}: not a finite number: ${value}`);
      let bucket = 0;
      while (bucket < bounds.length && value > bounds[bucket]!) bucket++;
      series.perBucket[bucket]! += 1;
      series.sum += value;
      series.count += 1;
    };
  }

  async get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: Sample[] }> {
    const values: Sample[] = [];
    for (const { labels, perBucket, sum, count } of this.series.values()) {
      let cumulative = 0;
      this.bounds.forEach((bound, bucket) => {
        cumulative += perBucket[bucket]!;
        values.push({ labels: { le: bound, ...labels }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf', ...labels }, value: count, metricName: `${this.name}_bucket` });
      values.push({ labels, value: sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Back to zero, as the registry's `resetMetrics` asks of every metric. */
  reset(): void {
    for (const series of this.series.values()) {
      series.perBucket.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }
}
