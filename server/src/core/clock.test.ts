import { afterEach, describe, expect, it, vi } from 'vitest';
import { isoTime, systemClock } from './clock.js';

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

  it('fires a short wait once, at its time, unless cancelled first', () => {
    vi.useFakeTimers();
    const fired: string[] = [];
    systemClock.setTimeout(() => fired.push('short'), 30_000);
    const cancelled = systemClock.setTimeout(() => fired.push('cancelled'), 30_000);
    systemClock.setTimeout(() => fired.push('overdue'), -5);
    systemClock.clearTimeout(cancelled);
    vi.advanceTimersByTime(0);
    expect(fired).toEqual(['overdue']);
    vi.advanceTimersByTime(29_999);
    expect(fired).toEqual(['overdue']);
    vi.advanceTimersByTime(1);
    vi.advanceTimersByTime(60_000);
    expect(fired).toEqual(['overdue', 'short']);
  });
});

describe('isoTime', () => {
  it('formats every time as Date does, repeated or not', () => {
    const times = [0, 1, 1, 999, 1_000, 1_764_433_200_123, 1_764_433_200_123, 1_764_433_200_124, -1, 8.64e15];
    for (const ms of times) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
  });
});
