/** Back-off settings for reconnecting at start-up and resubscribing after a dropped subscription. */
export interface RetryOptions {
  initialDelayMs: number;
  maxDelayMs: number;
  /** Total attempts before giving up; unlimited when absent. */
  maxAttempts?: number;
}

export const DEFAULT_RETRY: RetryOptions = { initialDelayMs: 250, maxDelayMs: 10_000 };

/** Appends retry briefly; a longer outage is the caller's to wait out (it sees StoreUnavailable). */
export const DEFAULT_APPEND_RETRY: RetryOptions = { initialDelayMs: 100, maxDelayMs: 1_000, maxAttempts: 3 };

/** Exponential back-off: the delay after the `failures`-th consecutive failure (1-based). */
export function backoffDelay(retry: RetryOptions, failures: number): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  return Math.min(retry.maxDelayMs, retry.initialDelayMs * 2 ** exponent);
}

export function attemptsExhausted(retry: RetryOptions, attempts: number): boolean {
  return retry.maxAttempts !== undefined && attempts >= retry.maxAttempts;
}

/** Resolves after `ms`, or early when `signal` aborts (callers check the signal afterwards). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
