/**
 * Where a fleet run's pauses come from, read from the service's own `/metrics` (prom-client's
 * process metrics): garbage-collection time by kind, and the longest event-loop delay since the
 * previous read (prom-client starts that measure afresh at every read).
 */
export interface RuntimeReading {
  /** GC kind (minor, major, incremental, weakcb) → seconds and collections so far. */
  gc: Map<string, { seconds: number; count: number; overOneSecond: number }>;
  loopDelayMaxSeconds: number;
}

const SAMPLE = /^(nodejs_gc_duration_seconds_(?:sum|count|bucket)|nodejs_eventloop_lag_max_seconds)(?:\{([^}]*)\})? (\S+)$/;

export async function readRuntime(baseUrl: string): Promise<RuntimeReading> {
  const res = await fetch(new URL('/metrics', baseUrl));
  if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
  const reading: RuntimeReading = { gc: new Map(), loopDelayMaxSeconds: Number.NaN };
  for (const line of (await res.text()).split('\n')) {
    const match = SAMPLE.exec(line);
    if (!match) continue;
    const [, name = '', labels = '', value] = match;
    if (name === 'nodejs_eventloop_lag_max_seconds') {
      reading.loopDelayMaxSeconds = Number(value);
      continue;
    }
    const kind = /kind="([^"]+)"/.exec(labels)?.[1] ?? '?';
    const entry = reading.gc.get(kind) ?? { seconds: 0, count: 0, overOneSecond: 0 };
    if (name.endsWith('_sum')) entry.seconds = Number(value);
    else if (name.endsWith('_count')) entry.count = Number(value);
    else if (labels.includes('le="1"')) entry.overOneSecond = -Number(value);
    reading.gc.set(kind, entry);
  }
  // Collections over one second: all of a kind minus those within its 1 s bucket.
  for (const entry of reading.gc.values()) entry.overOneSecond += entry.count;
  return reading;
}

/** GC between two readings, by kind, and the longest event-loop delay up to the second. */
export function describeRuntime(before: RuntimeReading, after: RuntimeReading): string {
  const kinds = [...after.gc.entries()]
    .map(([kind, now]) => {
      const then = before.gc.get(kind) ?? { seconds: 0, count: 0, overOneSecond: 0 };
      const count = now.count - then.count;
      const over = now.overOneSecond - then.overOneSecond;
      return count === 0 ? '' : `${kind} ${(now.seconds - then.seconds).toFixed(1)} s in ${count.toLocaleString('en-US')}${over > 0 ? ` (${over} over 1 s)` : ''}`;
    })
    .filter(Boolean);
  return `GC ${kinds.join(', ') || 'none'}; longest event-loop delay ${(after.loopDelayMaxSeconds * 1000).toFixed(0)} ms`;
}
