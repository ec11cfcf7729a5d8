/**
 * A fleet under its full heartbeat load: every sensor calls every 30 s, spread evenly, while one
 * sensor in a hundred stops calling after the first minute. The service must declare exactly
 * those offline, each once, promptly; the lag comes from the audit trail (see offline-lag.ts).
 */
import { randomBytes } from 'node:crypto';
import { JsonClient, createApiKey, registerFleet } from './heartbeat/http.js';
import { makeTempDir, removeTempDir } from './heartbeat/processes.js';
import { summaryWhen } from './fleet-helpers.js';
import { CONCURRENCY, fmt, log, mib, since, start } from './fleet-service.js';
import { describeLag, offlineLag } from './offline-lag.js';
import { describeRuntime, readRuntime } from './fleet-gc.js';

/** The product's defaults: offline after 2 minutes without contact, a heartbeat every 30 s. */
const THRESHOLD_MS = 120_000;
const HEARTBEAT_EVERY_MS = 30_000;
const VICTIM_EVERY = 100;
/** Victims call during the first minute of load only. */
const VICTIMS_STOP_AFTER_MS = 60_000;
/** Load keeps running this long after the last victim is offline: nobody else may follow. */
const AFTERMATH_MS = 30_000;
const TICK_MS = 20;

export const underLoadCommand = (sensors: number) =>
  `\`npm run bench:fleet -- --sensors ${sensors} --load\`; offline after ${THRESHOLD_MS / 1000} s without contact; every sensor heartbeats every ${HEARTBEAT_EVERY_MS / 1000} s (spread evenly), one in ${VICTIM_EVERY} stops after the first ${VICTIMS_STOP_AFTER_MS / 1000} s of load`;

/** Sends every sensor's heartbeats on schedule until stopped; counts what came back. */
class HeartbeatLoad {
  sent = 0;
  failed = 0;
  inFlight = 0;
  readonly latenciesMs: number[] = [];
  private next = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly startedAt = performance.now();

  constructor(
    private readonly client: JsonClient,
    private readonly authorization: string,
    private readonly ids: readonly string[],
    private readonly isVictim: (n: number) => boolean,
  ) {
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  /** Heartbeat j is sensor j mod N's, due at j × (30 s / N) after the start. */
  private tick(): void {
    const spacing = HEARTBEAT_EVERY_MS / this.ids.length;
    const elapsed = performance.now() - this.startedAt;
    for (; this.next * spacing <= elapsed; this.next++) {
      const n = this.next % this.ids.length;
      if (this.isVictim(n) && this.next * spacing > VICTIMS_STOP_AFTER_MS) continue;
      this.send(this.ids[n]!);
    }
  }

  private send(agentId: string): void {
    const began = performance.now();
    this.inFlight++;
    this.client
      .call('POST', '/api/agent/heartbeat', { agentId, status: 'idle', activeScans: 0, uptimeSeconds: 60 }, this.authorization)
      .then(({ status }) => {
        this.sent++;
        if (status !== 200) this.failed++;
        this.latenciesMs.push(performance.now() - began);
      })
      .catch(() => this.failed++)
      .finally(() => this.inFlight--);
  }

  elapsedSeconds(): number {
    return since(this.startedAt);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

function percentile(values: number[], share: number): number {
  const sorted = Float64Array.from(values).sort();
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)]!;
}

export async function runUnderLoad(sensors: number): Promise<string[][]> {
  const dataDir = makeTempDir('hg-fleet-load-');
  const adminToken = randomBytes(24).toString('hex');
  const service = await start(dataDir, adminToken, THRESHOLD_MS, sensors);
  const loadClient = new JsonClient(service.url, 2 * CONCURRENCY, 60_000);
  try {
    const apiKey = await createApiKey(service.client, adminToken, 'fleet-load-bench');
    const registerStart = performance.now();
    const ids = await registerFleet(service.client, apiKey, sensors, CONCURRENCY);
    const registerSeconds = since(registerStart);
    log(`registered ${fmt(sensors)} in ${registerSeconds.toFixed(1)} s; heartbeat load starts`);
    const isVictim = (n: number) => n % VICTIM_EVERY === 0;
    const victims = new Set(ids.filter((_, n) => isVictim(n)));
    // From here on, only a missed heartbeat can take a sensor offline: every sensor has called within the threshold.
    const windowFrom = new Date(Date.now() + THRESHOLD_MS).toISOString();
    const runtimeBefore = await readRuntime(service.url);
    const load = new HeartbeatLoad(loadClient, `Bearer ${apiKey}`, ids, isVictim);
    // Victims call last within the first minute of load, so they are all due offline by then.
    const allDue = (VICTIMS_STOP_AFTER_MS + THRESHOLD_MS) / 1000;
    await summaryWhen(service.client, adminToken, (c) => load.elapsedSeconds() >= allDue && c.offline >= victims.size, `${victims.size} sensors offline`, THRESHOLD_MS + VICTIMS_STOP_AFTER_MS + 10 * 60_000);
    log(`every victim offline after ${load.elapsedSeconds().toFixed(0)} s of load; ${AFTERMATH_MS / 1000} s more`);
    await new Promise((resolve) => setTimeout(resolve, AFTERMATH_MS));
    load.stop();
    const loadSeconds = load.elapsedSeconds();
    const runtime = describeRuntime(runtimeBefore, await readRuntime(service.url));
    const lag = await offlineLag(service.url, adminToken, { from: windowFrom });
    const strangers = [...lag.perSensor.keys()].filter((id) => !victims.has(id)).length;
    const exact = lag.sensors === victims.size && strangers === 0 && lag.repeated === 0;
    service.rss.stop();
    return [
      ['Sensors registered (wire route, 32 concurrent)', `${fmt(sensors)} in ${fmt(registerSeconds, 1)} s`],
      ['Heartbeats answered during the load', `${fmt(load.sent)} in ${fmt(loadSeconds, 0)} s (${fmt(load.sent / loadSeconds)}/s; ${fmt(load.failed)} failed or not 200)`],
      ['Heartbeat latency under load (client side)', `p50 ${fmt(percentile(load.latenciesMs, 0.5), 1)} ms, p99 ${fmt(percentile(load.latenciesMs, 0.99), 1)} ms`],
      ['Offline detection lag of the sensors that stopped', describeLag(lag)],
      ['Service runtime during the load', runtime],
      ['Exactly the sensors that stopped went offline, each once', exact ? `**yes** (${fmt(victims.size)})` : `**NO** (${fmt(lag.sensors)} of ${fmt(victims.size)}, ${fmt(strangers)} others, ${fmt(lag.repeated)} doubled)`],
      ['Peak RSS', `**${mib(service.rss.peak)}**`],
    ];
  } finally {
    loadClient.close();
    await service.launcher.stop();
    service.client.close();
    removeTempDir(dataDir);
  }
}
