import type { Metric, MetricObjectWithValues, MetricValueWithName, Registry } from 'prom-client';

/** One label value's series: observations per bucket (the last one past every bound), their sum and count. */
class Series {
  private readonly perBucket: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.perBucket = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const bounds = this.bounds;
    let at = 0;
    while (at < bounds.length && value > bounds[at]!) at++;
    this.perBucket[at]! += 1;
    this.sum += value;
    this.count += 1;
  }

  /** Observations at or below each bound, in the order of the bounds. */
  cumulative(): number[] {
    let total = 0;
    return this.bounds.map((_bound, at) => (total += this.perBucket[at]!));
  }

  reset(): void {
    this.perBucket.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

export interface RequestHistogramConfig<L extends string> {
  name: string;
  help: string;
  labelName: string;
  /** Every value the label takes, each series present (at zero) from the start, in this order. */
  labelValues: readonly L[];
  buckets: readonly number[];
  registers: Registry[];
}

/**
 * A histogram with one label whose values are all known up front, observed on every request:
 * an observation is a bucket search and three additions, where prom-client's Histogram
 * builds and checks a labels object and a hash key for each. It reads out as prom-client's
 * own Histogram does for the same observations (its registry formats it like any other; a
 * property test holds the two together).
 */
export class RequestHistogram<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly labelName: string;
  private readonly bounds: readonly number[];
  private readonly series = new Map<L, Series>();

  constructor(config: RequestHistogramConfig<L>) {
    this.name = config.name;
    this.help = config.help;
    this.labelName = config.labelName;
    this.bounds = config.buckets;
    for (const value of config.labelValues) this.series.set(value, new Series(this.bounds));
    // The registry reads a metric through get(), name and help; this one is no prom-client class.
    for (const registry of config.registers) registry.registerMetric(this as unknown as Metric);
  }

  /** The series of one label value, to observe into. */
  labels(value: L): { observe(value: number): void } {
    const series = this.series.get(value);
    if (!series) throw new Error(`${this.name}: no series for ${this.labelName}="${value}"`);
    return series;
  }

  async get(): Promise<MetricObjectWithValues<MetricValueWithName<string>>> {
    const bucket = `${this.name}_bucket`;
    const values: MetricValueWithName<string>[] = [];
    for (const [labelValue, series] of this.series) {
      const cumulative = series.cumulative();
      this.bounds.forEach((le, at) => values.push({ labels: { le, [this.labelName]: labelValue }, value: cumulative[at]!, metricName: bucket }));
      values.push(
        { labels: { le: '+Inf', [this.labelName]: labelValue }, value: series.count, metricName: bucket },
        { labels: { [this.labelName]: labelValue }, value: series.sum, metricName: `${this.name}_sum` },
        { labels: { [this.labelName]: labelValue }, value: series.count, metricName: `${this.name}_count` },
      );
    }
    return { name: this.name, help: this.help, type: this.type as unknown as MetricObjectWithValues<never>['type'], aggregator: this.aggregator, values } as MetricObjectWithValues<MetricValueWithName<string>>;
  }

  reset(): void {
    for (const series of this.series.values()) series.reset();
  }
}
