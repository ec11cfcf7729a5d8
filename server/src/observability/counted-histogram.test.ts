import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { CountedHistogram } from './counted-histogram.js';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The same histogram twice, each in its own registry: prom-client's own and the counted one. */
function pair() {
  const theirs = new Registry();
  const ours = new Registry();
  const reference = new Histogram({ name: 'latency_seconds', help: 'Latency.', labelNames: ['transport'], buckets: BUCKETS, registers: [theirs] });
  reference.zero({ transport: 'wire' });
  reference.zero({ transport: 'trpc' });
  const counted = new CountedHistogram({ name: 'latency_seconds', help: 'Latency.', buckets: BUCKETS, labelName: 'transport', labelValues: ['wire', 'trpc'], registers: [ours] });
  return { theirs, ours, reference, counted };
}

describe('counted histogram', () => {
  it("exposes exactly what prom-client's Histogram exposes for the same observations, bounds and values beyond them included", async () => {
    const value = fc.oneof(fc.double({ min: 0, max: 20, noNaN: true }), fc.constantFrom(...BUCKETS, 0, 11, 1e9));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom('wire' as const, 'trpc' as const), value), { maxLength: 60 }), async (observations) => {
        const { theirs, ours, reference, counted } = pair();
        const observe = { wire: counted.observer('wire'), trpc: counted.observer('trpc') };
        for (const [transport, seconds] of observations) {
          reference.labels(transport).observe(seconds);
          observe[transport](seconds);
        }
        expect(await ours.metrics()).toBe(await theirs.metrics());
        // As JSON too (what the registry hands to cluster aggregation), exemplars apart: neither records any.
        const withoutExemplars = async (registry: Registry) => (await registry.getMetricsAsJSON()).map(({ values, ...metric }) => ({ ...metric, values: values.map(({ labels, value, metricName }) => ({ labels, value, metricName })) }));
        expect(await withoutExemplars(ours)).toEqual(await withoutExemplars(theirs));
      }),
      { numRuns: 100 },
    );
  });

  it('starts every series at zero, and the registry resets it to zero', async () => {
    const { theirs, ours, counted } = pair();
    expect(await ours.metrics()).toBe(await theirs.metrics());
    counted.observer('wire')(0.003);
    expect(await ours.metrics()).toContain('latency_seconds_count{transport="wire"} 1');
    ours.resetMetrics();
    expect(await ours.metrics()).toContain('latency_seconds_count{transport="wire"} 0');
  });

  it('refuses a value that is not a number, as prom-client does, and counts nothing for it', async () => {
    const { ours, counted } = pair();
    expect(() => counted.observer('wire')(Number.NaN)).toThrow(TypeError);
    expect(await ours.metrics()).toContain('latency_seconds_count{transport="wire"} 0');
  });
});
