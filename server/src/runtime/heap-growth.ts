import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';

/**
 * How much garbage a large heap may gather between full collections: an eighth of the heap's
 * limit, between MIN_ALLOWANCE_BYTES and MAX_ALLOWANCE_BYTES, whatever is live. Left to itself,
 * V8 lets a heap whose limit is large (the launcher gives it most of the machine) grow to
 * several times its live set between collections, so a large fleet's resident memory would be
 * mostly garbage waiting. Bounded as a share of the live set instead, a large heap would be
 * collected after a few hundred MB of garbage, and each full collection marks the whole live
 * set: on two busy cores that is most of a second per GiB live spent on the event loop's
 * thread, so collecting often costs the liveness timers their precision. An amount set by the
 * heap's limit rather than by what is live keeps both in check, and a smaller machine keeps less.
 */
export const MIN_ALLOWANCE_BYTES = 2 ** 28;
export const MAX_ALLOWANCE_BYTES = 2 ** 31;
/** The bound never goes below this share of the live set (a very large heap still gets room). */
export const MIN_GROWTH_PERCENT = 15;
/** V8 lets a heap grow to at most this many times its live set between full collections. */
const V8_MAX_GROWING_FACTOR = 4;

/** The garbage a heap with this limit may gather between full collections (see above). */
export function garbageAllowanceFor(heapLimitBytes: number): number {
  return Math.min(MAX_ALLOWANCE_BYTES, Math.max(MIN_ALLOWANCE_BYTES, Math.floor(heapLimitBytes / 8)));
}

/**
 * The growth bound for a live set: a whole percentage, or 0 for V8's own sizing while even its
 * largest growth would gather no more than the allowance (a small fleet, whose garbage is small
 * in bytes: collecting it more often would cost every request CPU time).
 */
export function growthPercentFor(liveBytes: number, allowanceBytes: number): number {
  if (liveBytes * (V8_MAX_GROWING_FACTOR - 1) <= allowanceBytes) return 0;
  return Math.max(MIN_GROWTH_PERCENT, Math.ceil((100 * allowanceBytes) / liveBytes));
}

export interface HeapGrowthOptions {
  /** Heap in use now, in bytes: right after a full collection, the live set. */
  usedBytes?: () => number;
  /** The heap's limit, in bytes. */
  limitBytes?: number;
  setFlags?: (flags: string) => void;
  /** Calls `listener` after every full collection; returns how to stop. */
  onFullCollection?: (listener: () => void) => () => void;
}

function afterEachFullCollection(listener: () => void): () => void {
  const observer = new PerformanceObserver((list) => {
    const entries = list.getEntries() as (PerformanceEntry & { detail?: { kind?: number } })[];
    if (entries.some((entry) => entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)) listener();
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
}

/**
 * Called once the service is ready (start-up keeps V8's own sizing: the rebuild builds the whole
 * fleet at once). After every full collection, sets V8's heap growing factor for the live set
 * it left (see growthPercentFor), changing the flag only when the bound changes. Returns how to
 * stop watching.
 */
export function keepHeapNearLiveSet(options: HeapGrowthOptions = {}): () => void {
  const usedBytes = options.usedBytes ?? (() => getHeapStatistics().used_heap_size);
  const allowance = garbageAllowanceFor(options.limitBytes ?? getHeapStatistics().heap_size_limit);
  const setFlags = options.setFlags ?? setFlagsFromString;
  let current = 0;
  const adjust = () => {
    const percent = growthPercentFor(usedBytes(), allowance);
    if (percent === current) return;
    setFlags(`--heap-growing-percent=${percent}`);
    current = percent;
  };
  adjust();
  return (options.onFullCollection ?? afterEachFullCollection)(adjust);
}
