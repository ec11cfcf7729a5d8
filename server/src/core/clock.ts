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

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => startTimer(fn, ms),
  clearTimeout: (id) => clearTimeout((id as SystemTimer).current),
};
