import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';

export interface HeapReading {
  usedBytes: number;
  limitBytes: number;
}

export interface HeapWatchOptions {
  /** Share of the heap limit in use past which new sensors are refused. */
  highWater?: number;
  /** Share below which they are taken again; lower than `highWater`, so the answer does not flap. */
  lowWater?: number;
  intervalMs?: number;
  read?: () => HeapReading;
  /** Hears each change between taking and refusing new sensors. */
  onChange?: (atLimit: boolean, reading: HeapReading) => void;
}

export const DEFAULT_HIGH_WATER = 0.8;
export const DEFAULT_LOW_WATER = 0.7;

/**
 * V8's heap limit is the old generation's (`--max-old-space-size`, what runs out) plus a young
 * generation of three semi-spaces (16 MiB each on 64-bit machines unless `--max-semi-space-size`
 * says otherwise, as the launcher does for a large heap); objects that live on, like sensors, end
 * up in the old generation. So the reading is the old generation against its own limit.
 */
export function youngGenerationBytes(execArgv: readonly string[]): number {
  let semiSpaceMb = 16;
  for (const option of execArgv) {
    const match = /^--max[-_]semi[-_]space[-_]size=(\d+)$/.exec(option);
    if (match) semiSpaceMb = Number(match[1]);
  }
  return 3 * semiSpaceMb * 2 ** 20;
}

const YOUNG_GENERATION_BYTES = youngGenerationBytes(process.execArgv);

function readHeap(): HeapReading {
  const stats = getHeapStatistics();
  const young = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_used_size ?? 0;
  return { usedBytes: stats.used_heap_size - young, limitBytes: Math.max(stats.heap_size_limit - YOUNG_GENERATION_BYTES, stats.heap_size_limit / 2) };
}

const mb = (bytes: number) => Math.round(bytes / 2 ** 20);

/**
 * Watches heap use against the heap limit. Past the high-water mark the service stops taking
 * new sensors (each new sensor costs memory for as long as it exists), so it never runs out and
 * dies; sensors it already has cost nothing more and keep working. Read on an interval, and on
 * demand before each new sensor, so a burst of registrations cannot outrun the interval.
 */
export class HeapWatch {
  private readonly highWater: number;
  private readonly lowWater: number;
  private readonly read: () => HeapReading;
  private timer: NodeJS.Timeout | undefined;
  private atLimit = false;
  private last: HeapReading;
  /** New sensors refused since start. */
  refused = 0;
  /** Hears each refusal (the metrics count them). */
  refusedListener: (() => void) | undefined;

  constructor(private readonly options: HeapWatchOptions = {}) {
    this.highWater = options.highWater ?? DEFAULT_HIGH_WATER;
    this.lowWater = Math.min(options.lowWater ?? DEFAULT_LOW_WATER, this.highWater);
    this.read = options.read ?? readHeap;
    this.last = this.read();
  }

  start(): void {
    this.stop();
    this.timer = setInterval(() => this.check(), this.options.intervalMs ?? 1_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reads the heap now; true while new sensors are refused. */
  check(): boolean {
    this.last = this.read();
    const share = this.last.usedBytes / this.last.limitBytes;
    const atLimit = this.atLimit ? share >= this.lowWater : share >= this.highWater;
    if (atLimit !== this.atLimit) {
      this.atLimit = atLimit;
      this.options.onChange?.(atLimit, this.last);
    }
    return atLimit;
  }

  /** Why a new sensor cannot be taken now, or null when it can; counts each refusal. */
  refusal(): string | null {
    if (!this.check()) return null;
    this.refused++;
    this.refusedListener?.();
    return this.reason()!;
  }

  /** Said by readiness and the dashboard while new sensors are refused; null otherwise. */
  reason(): string | null {
    if (!this.atLimit) return null;
    return `The service is at its memory limit (heap ${mb(this.last.usedBytes)} of ${mb(this.last.limitBytes)} MB in use): new sensors are refused until memory is freed or the heap is made larger (HARBORGUARD_MAX_HEAP_MB); existing sensors keep working`;
  }

  reading(): HeapReading {
    return this.last;
  }

  get refusing(): boolean {
    return this.atLimit;
  }
}
