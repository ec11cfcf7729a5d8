import { getHeapStatistics, setFlagsFromString } from 'node:v8';

/**
 * How far the old generation may grow past what the last full collection kept before the next
 * one, once the heap is large: 15 %. Left to itself, V8 lets a heap whose limit is large (the
 * launcher gives it most of the machine) grow up to four times the live set between
 * collections, so a large fleet's resident memory is mostly garbage waiting. The heap limit
 * stays as it is: a fleet that fits is never stopped by this, only collected more often.
 */
export const HEAP_GROWING_PERCENT = 15;
/**
 * Below this much heap in use V8 keeps its own sizing: the garbage a small fleet leaves is small
 * in bytes, and collecting it more often would cost every request CPU time.
 */
export const LARGE_HEAP_BYTES = 2 ** 30;
const CHECK_EVERY_MS = 5_000;

export interface HeapGrowthOptions {
  percent?: number;
  fromBytes?: number;
  /** Heap in use now, in bytes. */
  usedBytes?: () => number;
  setFlags?: (flags: string) => void;
}

/**
 * Called once the service is ready (start-up keeps V8's own sizing: the rebuild builds the whole
 * fleet at once, and a small factor there would mean a full collection at every seventh of
 * growth). Bounds the heap's growth as soon as the heap in use reaches `fromBytes`, then stops
 * looking.
 */
export function keepHeapNearLiveSet(options: HeapGrowthOptions = {}): void {
  const percent = options.percent ?? HEAP_GROWING_PERCENT;
  if (!Number.isInteger(percent) || percent <= 0) throw new RangeError(`heap growth must be a positive whole percentage (got ${percent})`);
  const fromBytes = options.fromBytes ?? LARGE_HEAP_BYTES;
  const usedBytes = options.usedBytes ?? (() => getHeapStatistics().used_heap_size);
  const setFlags = options.setFlags ?? setFlagsFromString;
  const bound = (): boolean => {
    if (usedBytes() < fromBytes) return false;
    setFlags(`--heap-growing-percent=${percent}`);
    return true;
  };
  if (bound()) return;
  // Unref'd: looking never keeps the process alive.
  const timer = setInterval(() => bound() && clearInterval(timer), CHECK_EVERY_MS);
  timer.unref();
}
