import type { JsonClient } from './heartbeat/http.js';
import { readRss } from './heartbeat/processes.js';

/** Samples a process' resident set once a second, keeping the peak (VmHWM, the kernel's own peak, when readable). */
export class RssSampler {
  peak = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: () => number | null) {
    this.timer = setInterval(() => this.sample(), 1_000);
    this.timer.unref();
  }

  sample(): void {
    const pid = this.pid();
    if (pid === null) return;
    try {
      const { rss, peak } = readRss(pid);
      this.peak = Math.max(this.peak, rss, Number.isNaN(peak) ? 0 : peak);
    } catch {
      // The process has just ended; the peak so far stands.
    }
  }

  stop(): void {
    this.sample();
    clearInterval(this.timer);
  }
}

/** Runs `task(0..count-1)`, `concurrency` at a time; `onProgress` every `every` completions. */
export async function forEachConcurrently(count: number, concurrency: number, task: (n: number) => Promise<void>, onProgress?: (done: number) => void, every = 10_000): Promise<void> {
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (let n = next++; n < count; n = next++) {
      await task(n);
      if (++done % every === 0) onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/**
 * One heartbeat from each of the first `count` sensors of `ids`, `concurrency` at a time (an
 * offline sensor's heartbeat brings it back); returns how many were answered `online`.
 */
export async function heartbeatEach(client: JsonClient, apiKey: string, ids: string[], count: number, concurrency: number, onProgress?: (done: number) => void): Promise<number> {
  let online = 0;
  await forEachConcurrently(count, concurrency, async (n) => {
    const ack = (await client.ok('POST', '/api/agent/heartbeat', { agentId: ids[n], status: 'idle', activeScans: 0, uptimeSeconds: 60 }, `Bearer ${apiKey}`)) as { status?: string };
    if (ack.status === 'online') online++;
  }, onProgress, 100_000);
  return online;
}

export interface StatusCounts {
  total: number;
  online: number;
  scanning: number;
  offline: number;
}

/** `fleet.summary` as the operator API reports it. */
export async function summary(client: JsonClient, adminToken: string): Promise<StatusCounts> {
  const json = (await client.ok('GET', '/api/trpc/fleet.summary', undefined, `Bearer ${adminToken}`)) as { result?: { data?: StatusCounts } };
  const data = json.result?.data;
  if (!data || typeof data.total !== 'number') throw new Error(`fleet.summary answered ${JSON.stringify(json)}`);
  return data;
}

/** Polls `fleet.summary` until `done` holds for it, or fails after `timeoutMs`. */
export async function summaryWhen(client: JsonClient, adminToken: string, done: (counts: StatusCounts) => boolean, what: string, timeoutMs: number): Promise<StatusCounts> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await summary(client, adminToken);
    if (done(counts)) return counts;
    if (Date.now() > deadline) throw new Error(`fleet.summary never showed ${what} within ${timeoutMs} ms; last ${JSON.stringify(counts)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Measures and their results as a Markdown table, ending with a blank line. */
export function measureTable(rows: string[][]): string {
  return ['| Measure | Result |', '| --- | --- |', ...rows.map(([measure, result]) => `| ${measure} | ${result} |`), ''].join('\n');
}
