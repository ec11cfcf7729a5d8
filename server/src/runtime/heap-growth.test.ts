import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { growthPercentFor, keepHeapNearLiveSet } from './heap-growth.js';

const GiB = 2 ** 30;

describe('heap growth', () => {
  it('leaves a small heap to V8 and lets a larger one gather about 1 GiB of garbage, never under 15 % of what is live', () => {
    // V8 grows a heap to at most four times its live set: up to a third of a GiB live, that is within the allowance.
    expect(growthPercentFor(0.3 * GiB)).toBe(0);
    expect(growthPercentFor(0.5 * GiB)).toBe(200);
    expect(growthPercentFor(1 * GiB)).toBe(100);
    expect(growthPercentFor(2 * GiB)).toBe(50);
    expect(growthPercentFor(3 * GiB)).toBe(34);
    expect(growthPercentFor(10 * GiB)).toBe(15);
  });

  it('sets the bound after each full collection for the live set it left, only when the bound changes', () => {
    let live = 0.3 * GiB;
    const flags: string[] = [];
    let collected = () => {};
    let stopped = false;
    const stop = keepHeapNearLiveSet({
      usedBytes: () => live,
      setFlags: (flag) => flags.push(flag),
      onFullCollection: (listener) => {
        collected = listener;
        return () => void (stopped = true);
      },
    });
    expect(flags).toEqual([]);
    live = 2 * GiB;
    collected();
    collected();
    live = 4 * GiB;
    collected();
    // The fleet shrank: V8's own sizing again.
    live = 0.2 * GiB;
    collected();
    expect(flags).toEqual(['--heap-growing-percent=50', '--heap-growing-percent=25', '--heap-growing-percent=0']);
    stop();
    expect(stopped).toBe(true);
  });

  it('hears the process\'s own full collections by default', async () => {
    let asked = 0;
    const stop = keepHeapNearLiveSet({ usedBytes: () => (asked++, 0), setFlags: () => {} });
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
    // The observer hears of it asynchronously.
    for (let waited = 0; asked < 2 && waited < 5_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
    stop();
    expect(asked).toBeGreaterThanOrEqual(2);
  });
});
