/**
 * Simulated time. Sensors think in simulated milliseconds (a 30 s heartbeat is
 * always 30 000); the clock maps them onto real time divided by `speed`, so a
 * demo can run ten times faster without touching sensor logic.
 */
export interface Clock {
  /** Simulated milliseconds since an arbitrary origin. */
  now(): number;
  /** Wall-clock time for timestamps that leave the process (scan envelopes). */
  wallTime(): Date;
  /**
   * Waits `ms` simulated milliseconds. Resolves `true` when the time elapsed,
   * `false` as soon as any of `signals` aborts (never rejects).
   */
  sleep(ms: number, ...signals: AbortSignal[]): Promise<boolean>;
}

/** A clock on top of the global timers (which vitest fake timers replace in tests). */
export function createClock(speed = 1): Clock {
  if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`speed must be a positive number, got ${speed}`);
  const origin = Date.now();
  return {
    now: () => (Date.now() - origin) * speed,
    wallTime: () => new Date(),
    sleep: (ms, ...signals) => sleepReal(Math.max(0, ms) / speed, signals),
  };
}

function sleepReal(realMs: number, signals: AbortSignal[]): Promise<boolean> {
  if (signals.some((s) => s.aborted)) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    const finish = (elapsed: boolean): void => {
      clearTimeout(timer);
      // Listeners are removed explicitly: the stop signal lives as long as the sensor.
      for (const s of signals) s.removeEventListener('abort', onAbort);
      resolve(elapsed);
    };
    const onAbort = (): void => finish(false);
    const timer = setTimeout(() => finish(true), realMs);
    for (const s of signals) s.addEventListener('abort', onAbort, { once: true });
  });
}
