import autocannon from 'autocannon';
import { machineCpuSeconds } from './machine.js';
import { readCpuSeconds } from './processes.js';

export interface LoadSettings {
  connections: number;
  /** Measured seconds. */
  durationSeconds: number;
  /** Seconds of identical load before the measurement (JIT, connection set-up), not counted. */
  warmupSeconds: number;
  pipelining: number;
  /** Seconds before an unanswered request counts as a timeout. */
  timeoutSeconds: number;
}

export interface LoadTarget {
  url: string;
  path: string;
  headers: Record<string, string>;
  /** Request bodies, sent in turn, cycling. */
  bodies: Buffer[];
  /** The server process, to measure how much CPU it used under load. */
  serverPid: number;
}

export interface LoadResult {
  requestsPerSecond: number;
  /** Mean of autocannon's per-second samples. */
  sampledRequestsPerSecond: number;
  completed: number;
  seconds: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  /** CPU used by the server over the measured window, as a share of one core. */
  serverCpu: number;
  /** CPU used by the load generator over the measured window, as a share of one core. */
  loadCpu: number;
  /** CPU used by every other process on the machine over the measured window, in cores. */
  otherCpu: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

function once(target: LoadTarget, settings: LoadSettings, seconds: number, onLatency?: (ms: number) => void): Promise<autocannon.Result> {
  let next = 0;
  const { bodies } = target;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: target.url,
        connections: settings.connections,
        pipelining: settings.pipelining,
        duration: seconds,
        timeout: settings.timeoutSeconds,
        requests: [
          {
            method: 'POST',
            path: target.path,
            headers: target.headers,
            setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length]! }),
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    if (onLatency) instance.on('response', (_client, _status, _bytes, ms) => onLatency(ms));
  });
}

/** Warms up, then drives `target` for the measured duration and returns what it sustained. */
export async function runLoad(target: LoadTarget, settings: LoadSettings): Promise<LoadResult> {
  if (settings.warmupSeconds > 0) await once(target, settings, settings.warmupSeconds);

  let latencies = new Float64Array(1 << 20);
  let count = 0;
  const record = (ms: number) => {
    if (count === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[count++] = ms;
  };

  const serverCpuBefore = readCpuSeconds(target.serverPid);
  const loadCpuBefore = process.cpuUsage();
  const machineBefore = machineCpuSeconds();
  const startedAt = process.hrtime.bigint();
  const result = await once(target, settings, settings.durationSeconds, record);
  const wallSeconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  const serverCpu = (readCpuSeconds(target.serverPid) - serverCpuBefore) / wallSeconds;
  const loadUsage = process.cpuUsage(loadCpuBefore);
  const loadCpu = (loadUsage.user + loadUsage.system) / 1e6 / wallSeconds;
  const machineBusy = (machineCpuSeconds().busy - machineBefore.busy) / wallSeconds;
  const otherCpu = Math.max(0, machineBusy - serverCpu - loadCpu);

  const sorted = latencies.slice(0, count).sort();
  let sum = 0;
  for (const ms of sorted) sum += ms;
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count: n }]) => [code, n]));
  return {
    requestsPerSecond: result['2xx'] / result.duration,
    sampledRequestsPerSecond: result.requests.average,
    completed: result['2xx'],
    seconds: result.duration,
    latencyMs: { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN, mean: sum / count },
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statusCodes,
    serverCpu,
    loadCpu,
    otherCpu,
  };
}
