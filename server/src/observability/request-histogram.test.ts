import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { RequestHistogram } from './request-histogram.js';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const LABELS = ['wire', 'trpc'] as const;

/** The same observations into prom-client's Histogram and into RequestHistogram, each in a registry of its own. */
function both() {
  const reference = new Registry();
  const fast = new Registry();
  const config = { name: 'h_seconds', help: 'Time to answer, with "quotes" and \\ in its help.' };
  const histogram = new Histogram({ ...config, labelNames: ['transport'], buckets: BUCKETS, registers: [reference] });
  for (const transport of LABELS) histogram.zero({ transport });
  const requestHistogram = new RequestHistogram({ ...config, labelName: 'transport', labelValues: LABELS, buckets: BUCKETS, registers: [fast] });
  return {
    reference,
    fast,
    observe(transport: (typeof LABELS)[number], value: number) {
      histogram.labels(transport).observe(value);
      requestHistogram.labels(transport).observe(value);
    },
    reset() {
      histogram.reset();
      for (const transport of LABELS) histogram.zero({ transport });
      requestHistogram.reset();
    },
  };
}

describe('the request histogram', () => {
  it('reads out exactly as prom-client’s Histogram does after the same observations', async () => {
    // Bucket bounds themselves, values on either side of them, and anything finite.
    const value = fc.oneof(fc.constantFrom(...BUCKETS, 0, -0, 10.000001, 1e9), fc.double({ noNaN: true, noDefaultInfinity: true, min: -1, max: 20 }), fc.double({ noNaN: true, noDefaultInfinity: true }));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom(...LABELS), value), { maxLength: 200 }), async (observations) => {
        const { reference, fast, observe } = both();
        for (const [transport, seconds] of observations) observe(transport, seconds);
        expect(await fast.metrics()).toBe(await reference.metrics());
      }),
      { numRuns: 300 },
    );
  });

  it('shows every series at zero before the first observation and after a reset', async () => {
    const { reference, fast, observe, reset } = both();
    expect(await fast.metrics()).toBe(await reference.metrics());
    expect(await fast.metrics()).toContain('h_seconds_count{transport="trpc"} 0');
    observe('wire', 0.003);
    reset();
    expect(await fast.metrics()).toBe(await reference.metrics());
  });

  it('refuses what prom-client refuses: a value that is no finite number', () => {
    const { fast } = both();
    const histogram = fast.getSingleMetric('h_seconds') as unknown as RequestHistogram<'wire'>;
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) expect(() => histogram.labels('wire').observe(bad)).toThrow(TypeError);
  });
});
