import { getHeapStatistics, setFlagsFromString } from 'node:v8';

/**
 * How far the old generation may grow past what the last full collection kept before the next
 * one, once the heap is large: 15 %, and no more than HEADROOM_BYTES. Left to itself, V8 lets a
 * heap whose limit is large (the launcher gives it most of the machine) grow up to four times the
 * live set between collections, so a large fleet's resident memory is mostly garbage waiting; and
 * at several gigabytes live even 15 % is most of a gigabyte. The heap limit stays as it is: a fleet
 * that fits is never stopped by this, only collected more often.
 */
export const HEAP_GROWING_PERCENT = 15;
export const HEADROOM_BYTES = 384 * 2 ** 20;
/** The growth never goes below this: collecting more often than that would cost more than it frees. */
export const MIN_GROWING_PERCENT = 5;
/**
 * Below this much heap in use V8 keeps its own sizing: the garbage a small fleet leaves is small
 * in bytes, and collecting it more often would cost every request CPU time.
 */
export const LARGE_HEAP_BYTES = 2 ** 30;
const CHECK_EVERY_MS = 5_000;

export interface HeapGrowthOptions {
  percent?: number;
  fromBytes?: number;
  headroomBytes?: number;
  /** Heap in use now, in bytes. */
  usedBytes?: () => number;
  setFlags?: (flags: string) => void;
}

/**
 * Called once the service is ready (start-up keeps V8's own sizing: the rebuild builds the whole
 * fleet at once, and a small factor there would mean a full collection at every seventh of
 * growth). From the moment the heap in use reaches `fromBytes`, bounds its growth, looking again
 * every few seconds as the fleet grows: the percentage that keeps the headroom within
 * `headroomBytes`, between MIN_GROWING_PERCENT and `percent`.
 */
export function keepHeapNearLiveSet(options: HeapGrowthOptions = {}): void {
  const percent = options.percent ?? HEAP_GROWING_PERCENT;
  if (!Number.isInteger(percent) || percent < MIN_GROWING_PERCENT) throw new RangeError(`heap growth must be a whole percentage of at least ${MIN_GROWING_PERCENT} (got ${percent})`);
  const fromBytes = options.fromBytes ?? LARGE_HEAP_BYTES;
  const headroomBytes = options.headroomBytes ?? HEADROOM_BYTES;
  const usedBytes = options.usedBytes ?? (() => getHeapStatistics().used_heap_size);
  const setFlags = options.setFlags ?? setFlagsFromString;
  let applied: number | null = null;
  const bound = (): void => {
    const used = usedBytes();
    if (used < fromBytes) return;
    const wanted = Math.max(MIN_GROWING_PERCENT, Math.min(percent, Math.floor((headroomBytes / used) * 100)));
    if (wanted === applied) return;
    setFlags(`--heap-growing-percent=${wanted}`);
    applied = wanted;
  };
  bound();
  // Unref'd: looking never keeps the process alive.
  setInterval(bound, CHECK_EVERY_MS).unref();
}
