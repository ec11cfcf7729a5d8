/**
 * How large the JavaScript heap of the service may grow, decided before it starts: Node's own
 * default is a fixed size that ignores how much memory the machine (or container) really has.
 */

/** Share of the machine's memory given to the heap; the rest is for SQLite, buffers and the writer thread. */
export const HEAP_SHARE = 0.75;
/** Below this the service cannot hold its own code and a useful fleet. */
export const MIN_HEAP_MB = 32;

/** Heaps at least this large get SEMI_SPACE_MB semi-spaces; smaller ones keep V8's 16 MiB. */
export const LARGE_HEAP_MB = 4_096;
/**
 * V8 collects the young generation each time a semi-space fills, and with a large fleet much of
 * a collection's cost does not depend on the semi-space's size. Eight times larger means an
 * eighth as many, for 336 MiB more at most, under a tenth of such a heap (figures in
 * bench/results/fleet.md).
 */
export const SEMI_SPACE_MB = 128;

export interface HeapSizing {
  heapMb: number;
  /** Where the size came from, for the start-up log. */
  reason: string;
}

export class HeapSizeError extends Error {}

/**
 * `HARBORGUARD_MAX_HEAP_MB` when set (whole megabytes, at least MIN_HEAP_MB); otherwise
 * HEAP_SHARE of the memory available: the container's limit when there is one, else the machine's.
 */
export function heapSize(env: NodeJS.ProcessEnv, memory: { totalBytes: number; constrainedBytes: number | undefined }): HeapSizing {
  const override = env['HARBORGUARD_MAX_HEAP_MB'];
  if (override !== undefined && override.trim() !== '') {
    const heapMb = Number(override);
    if (!Number.isInteger(heapMb) || heapMb < MIN_HEAP_MB) {
      throw new HeapSizeError(`HARBORGUARD_MAX_HEAP_MB must be a whole number of megabytes, at least ${MIN_HEAP_MB} (got "${override}")`);
    }
    return { heapMb, reason: 'HARBORGUARD_MAX_HEAP_MB' };
  }
  const constrained = memory.constrainedBytes !== undefined && memory.constrainedBytes > 0 && memory.constrainedBytes < memory.totalBytes;
  const available = constrained ? memory.constrainedBytes! : memory.totalBytes;
  const heapMb = Math.max(MIN_HEAP_MB, Math.floor((available * HEAP_SHARE) / 2 ** 20));
  return { heapMb, reason: `${Math.round(HEAP_SHARE * 100)} % of ${Math.round(available / 2 ** 20)} MB of ${constrained ? 'container' : 'machine'} memory` };
}

/**
 * V8 allocates straight into the old generation from the places in the code whose objects
 * mostly survived so far. A large fleet trains it to: while sensors register, nearly everything
 * made survives. Once the fleet moves (sensors going offline, coming back), those same places
 * make states and events that soon become garbage, and made old they are left to full
 * collections, which mark the whole fleet on the event loop's thread. Without it they are
 * freed young (figures in bench/results/fleet.md).
 */
export const NO_PRETENURING = '--no-allocation-site-pretenuring';

/**
 * The V8 options that give the service its heap: the limit, and for a large heap larger
 * semi-spaces and no allocation straight into the old generation.
 */
export function heapOptions(heapMb: number): string[] {
  const options = [`--max-old-space-size=${heapMb}`];
  if (heapMb >= LARGE_HEAP_MB) options.push(`--max-semi-space-size=${SEMI_SPACE_MB}`, NO_PRETENURING);
  return options;
}
