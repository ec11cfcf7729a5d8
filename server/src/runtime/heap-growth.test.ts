import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { garbageAllowanceFor, growthPercentFor, keepHeapNearLiveSet } from './heap-growth.js';

const GiB = 2 ** 30;

describe('heap growth', () => {
  it('allows an eighth of the heap limit in garbage, at least 256 MiB and at most 2 GiB', () => {
    expect(garbageAllowanceFor(18 * GiB)).toBe(2 * GiB);
    expect(garbageAllowanceFor(8 * GiB)).toBe(GiB);
    expect(garbageAllowanceFor(1 * GiB)).toBe(GiB / 4);
    expect(garbageAllowanceFor(48 * 2 ** 20)).toBe(GiB / 4);
  });

  it('leaves a small heap to V8 and lets a larger one gather the allowance in garbage, never under 15 % of what is live', () => {
    // V8 grows a heap to at most four times its live set: up to a third of the allowance live, that is within it.
    expect(growthPercentFor(0.3 * GiB, GiB)).toBe(0);
    expect(growthPercentFor(0.5 * GiB, GiB)).toBe(200);
    expect(growthPercentFor(1 * GiB, GiB)).toBe(100);
    expect(growthPercentFor(2 * GiB, GiB)).toBe(50);
    expect(growthPercentFor(3 * GiB, GiB)).toBe(34);
    expect(growthPercentFor(10 * GiB, GiB)).toBe(15);
    expect(growthPercentFor(0.6 * GiB, 2 * GiB)).toBe(0);
    expect(growthPercentFor(1.5 * GiB, 2 * GiB)).toBe(134);
  });

  it('sets the bound after each full collection for the live set it left, only when the bound changes', () => {
    let live = 0.3 * GiB;
    const flags: string[] = [];
    let collected = () => {};
    let stopped = false;
    const stop = keepHeapNearLiveSet({
      usedBytes: () => live,
      limitBytes: 8 * GiB,
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
