import { describe, expect, it } from 'vitest';
import { attemptsExhausted, backoffDelay, sleep } from './retry.js';

describe('back-off', () => {
  const retry = { initialDelayMs: 100, maxDelayMs: 1_000 };

  it('doubles from the initial delay up to the maximum', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(retry, n))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    expect(backoffDelay(retry, 10_000)).toBe(1_000);
  });

  it('gives up only when maxAttempts is set and reached', () => {
    expect(attemptsExhausted(retry, 1_000)).toBe(false);
    expect(attemptsExhausted({ ...retry, maxAttempts: 3 }, 2)).toBe(false);
    expect(attemptsExhausted({ ...retry, maxAttempts: 3 }, 3)).toBe(true);
  });

  it('sleep ends early when aborted', async () => {
    const controller = new AbortController();
    const slept = sleep(60_000, controller.signal);
    controller.abort();
    await expect(slept).resolves.toBeUndefined();
  });
});
