import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from './clock.js';

describe('system clock timers', () => {
  afterEach(() => vi.useRealTimers());

  it('waits the whole time for waits longer than a Node timer can take, and can be cancelled in any step', () => {
    vi.useFakeTimers();
    const fired: string[] = [];
    const long = 2 ** 31 + 5_000;
    systemClock.setTimeout(() => fired.push('long'), long);
    const cancelled = systemClock.setTimeout(() => fired.push('cancelled'), long);
    vi.advanceTimersByTime(2 ** 31);
    systemClock.clearTimeout(cancelled);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(4_999);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(['long']);
  });
});
