import { afterEach, describe, expect, it, vi } from 'vitest';
import { keepHeapNearLiveSet } from './heap-growth.js';

const GiB = 2 ** 30;

describe('heap growth', () => {
  afterEach(() => vi.useRealTimers());

  it('leaves a small heap to V8, and bounds its growth once, when the heap in use grows large', () => {
    vi.useFakeTimers();
    let used = 0.3 * GiB;
    const flags: string[] = [];
    keepHeapNearLiveSet({ usedBytes: () => used, setFlags: (flag) => flags.push(flag) });
    vi.advanceTimersByTime(60_000);
    expect(flags).toEqual([]);
    used = 1.2 * GiB;
    vi.advanceTimersByTime(5_000);
    expect(flags).toEqual(['--heap-growing-percent=15']);
    vi.advanceTimersByTime(60_000);
    expect(flags).toHaveLength(1);
  });

  it('bounds a heap that is already large at once, and refuses a growth that is not a whole percentage', () => {
    const flags: string[] = [];
    keepHeapNearLiveSet({ percent: 20, usedBytes: () => 3 * GiB, setFlags: (flag) => flags.push(flag) });
    expect(flags).toEqual(['--heap-growing-percent=20']);
    expect(() => keepHeapNearLiveSet({ percent: 0 })).toThrow(RangeError);
    expect(() => keepHeapNearLiveSet({ percent: 2.5 })).toThrow(RangeError);
  });
});
