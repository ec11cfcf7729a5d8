/** Time source and timers, injectable so tests can drive time (XState's SimulatedClock fits). */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

/** Node fires a timer longer than this at once; longer waits are taken in steps. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/** A timer handle that stays valid across the steps of a long wait. */
interface SystemTimer {
  current: NodeJS.Timeout;
}

function startTimer(fn: () => void, ms: number, timer?: SystemTimer): SystemTimer {
  const step = Math.min(Math.max(0, ms), LONGEST_TIMER_MS);
  const handle = timer ?? ({} as SystemTimer);
  handle.current = setTimeout(() => (ms > LONGEST_TIMER_MS ? startTimer(fn, ms - LONGEST_TIMER_MS, handle) : fn()), step);
  return handle;
}

/**
 * A wait that fits one Node timer (every sensor's offline timer does) is that timer, with nothing
 * wrapped around it: a connected sensor always has one armed, so a fleet holds a million.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => (ms <= LONGEST_TIMER_MS ? setTimeout(fn, Math.max(0, ms)) : startTimer(fn, ms)),
  clearTimeout: (id) => clearTimeout((id as Partial<SystemTimer>).current ?? (id as NodeJS.Timeout)),
};

let formattedAt = Number.NaN;
let formatted = '';

/**
 * A time as ISO 8601 text, like `new Date(ms).toISOString()`. Answers within the same
 * millisecond carry the same time, and a busy service answers many: the last text is kept.
 */
export function isoTime(ms: number): string {
  if (ms !== formattedAt) {
    formatted = new Date(ms).toISOString();
    formattedAt = ms;
  }
  return formatted;
}
