import { setFlagsFromString } from 'node:v8';

/**
 * How far the old generation may grow past what the last full collection kept before the next
 * one, once the service runs: 15 %. Left to itself, V8 lets a heap whose limit is large (the
 * launcher gives it most of the machine) grow up to four times the live set between
 * collections, so a large fleet's resident memory is mostly garbage waiting. The heap limit
 * stays as it is: a fleet that fits is never stopped by this, only collected more often.
 */
export const HEAP_GROWING_PERCENT = 15;

/**
 * Called once the service is ready. Start-up keeps V8's own sizing: the rebuild builds the whole
 * fleet at once, and a small factor there would mean a full collection at every seventh of growth.
 */
export function keepHeapNearLiveSet(percent = HEAP_GROWING_PERCENT): void {
  if (!Number.isInteger(percent) || percent <= 0) throw new RangeError(`heap growth must be a positive whole percentage (got ${percent})`);
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}
