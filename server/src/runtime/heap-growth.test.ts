import { afterEach, describe, expect, it, vi } from 'vitest';
import { keepHeapNearLiveSet } from './heap-growth.js';

const GiB = 2 ** 30;

describe('heap growth', () => {
  afterEach(() => vi.useRealTimers());

  it('leaves a small heap to V8, and bounds its growth once the heap in use grows large', () => {
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

  it('keeps the headroom of a heap of several gigabytes within 384 MiB, never collecting more often than at 5 %', () => {
    vi.useFakeTimers();
    let used = 3 * GiB;
    const flags: string[] = [];
    keepHeapNearLiveSet({ usedBytes: () => used, setFlags: (flag) => flags.push(flag) });
    // 384 MiB of 3 GiB is 12.5 %.
    expect(flags).toEqual(['--heap-growing-percent=12']);
    used = 4.5 * GiB;
    vi.advanceTimersByTime(5_000);
    used = 9 * GiB;
    vi.advanceTimersByTime(5_000);
    used = 4.5 * GiB;
    vi.advanceTimersByTime(5_000);
    expect(flags).toEqual(['--heap-growing-percent=12', '--heap-growing-percent=8', '--heap-growing-percent=5', '--heap-growing-percent=8']);
  });

  it('takes another upper bound, and refuses one that is not a whole percentage of at least 5', () => {
    const flags: string[] = [];
    keepHeapNearLiveSet({ percent: 20, usedBytes: () => 1.5 * GiB, setFlags: (flag) => flags.push(flag) });
    expect(flags).toEqual(['--heap-growing-percent=20']);
    expect(() => keepHeapNearLiveSet({ percent: 4 })).toThrow(RangeError);
    expect(() => keepHeapNearLiveSet({ percent: 7.5 })).toThrow(RangeError);
  });
});
