import { get } from 'node:http';
import { createInterface } from 'node:readline';

/**
 * Offline detection lag, exactly, from the audit trail: for every `SensorWentOffline` stored in a
 * window, the time the store recorded it minus the deadline it names (its last heartbeat plus
 * the threshold). Read through `GET /api/audit/export`, streamed line by line.
 */
export interface OfflineLag {
  events: number;
  /** Sensors with at least one offline event in the window. */
  sensors: number;
  /** Sensors with more than one offline event in the window. */
  repeated: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Sensor id → offline events in the window. */
  perSensor: Map<string, number>;
  /** The lag through the window: per TIMELINE_STEP_MS of deadlines, how many and the worst. */
  timeline: { fromS: number; events: number; maxMs: number }[];
}

const TIMELINE_STEP_MS = 10_000;

interface ExportedEvent {
  type: string;
  recordedAt: string;
  data: { sensorId: string; lastHeartbeatAt: string; thresholdMs: number };
}

export async function offlineLag(baseUrl: string, adminToken: string, window: { from?: string; until?: string }): Promise<OfflineLag> {
  const query = new URLSearchParams({ format: 'ndjson', type: 'SensorWentOffline', ...window });
  const lags: number[] = [];
  const perSensor = new Map<string, number>();
  const deadlines: number[] = [];
  const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
    get(new URL(`/api/audit/export?${query}`, baseUrl), { headers: { Authorization: `Bearer ${adminToken}` } }, resolve).on('error', reject);
  });
  if (res.statusCode !== 200) throw new Error(`audit export answered ${res.statusCode}`);
  for await (const line of createInterface({ input: res, crlfDelay: Infinity })) {
    if (line === '') continue;
    const event = JSON.parse(line) as ExportedEvent;
    if (event.type !== 'SensorWentOffline') continue;
    const deadline = Date.parse(event.data.lastHeartbeatAt) + event.data.thresholdMs;
    lags.push(Date.parse(event.recordedAt) - deadline);
    deadlines.push(deadline);
    perSensor.set(event.data.sensorId, (perSensor.get(event.data.sensorId) ?? 0) + 1);
  }
  const sorted = Float64Array.from(lags).sort();
  const at = (share: number) => (sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)]!);
  let repeated = 0;
  for (const count of perSensor.values()) if (count > 1) repeated++;
  return { events: sorted.length, sensors: perSensor.size, repeated, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1), perSensor, timeline: timeline(deadlines, lags) };
}

function timeline(deadlines: number[], lags: number[]): OfflineLag['timeline'] {
  let first = Infinity;
  for (const deadline of deadlines) first = Math.min(first, deadline);
  const steps: OfflineLag['timeline'] = [];
  deadlines.forEach((deadline, i) => {
    const step = Math.floor((deadline - first) / TIMELINE_STEP_MS);
    for (let k = steps.length; k <= step; k++) steps.push({ fromS: (k * TIMELINE_STEP_MS) / 1000, events: 0, maxMs: 0 });
    steps[step]!.events++;
    steps[step]!.maxMs = Math.max(steps[step]!.maxMs, lags[i]!);
  });
  return steps;
}

/** The timeline as one line: `+seconds: worst lag (events)` per step. */
export function describeTimeline(lag: OfflineLag): string {
  return lag.timeline.map((step) => `+${step.fromS}s ${step.maxMs}ms (${step.events})`).join(', ');
}

export function describeLag(lag: OfflineLag): string {
  if (lag.events === 0) return 'no offline events';
  return `p50 ${lag.p50Ms} ms, **p99 ${lag.p99Ms} ms**, max ${lag.maxMs} ms over ${lag.events.toLocaleString('en-US')} offline events`;
}
