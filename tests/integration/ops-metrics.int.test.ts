import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, OFFLINE_AFTER_MS, TestServer } from '../support/test-server.js';
import { TrpcHttp } from '../support/http-clients.js';
import { trpcSensor, wireSensor } from '../support/sensor-clients.js';
import { ServiceMetrics } from '../../server/src/observability/metrics.js';

const deployFile = (path: string) => readFileSync(fileURLToPath(new URL(`../../deploy/${path}`, import.meta.url)), 'utf8');

/** Samples of a Prometheus text exposition, by series (`name{labels}`). */
function samples(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    series.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return series;
}

/** Metric names as Prometheus stores them: a histogram's series end in _bucket, _sum, _count. */
function metricNames(series: Map<string, number>): Set<string> {
  return new Set([...series.keys()].map((key) => key.replace(/\{.*$/, '')));
}

describe('metrics', () => {
  let server: TestServer;
  afterEach(() => server.destroy());

  async function start() {
    let current: TestServer | undefined;
    const metrics = new ServiceMetrics(() => current?.app ?? null, { processMetrics: true });
    server = await TestServer.start({ http: { metrics } });
    current = server;
    metrics.watch(server.app);
    return new TrpcHttp(server.url, ADMIN_TOKEN);
  }

  async function scrape(): Promise<Map<string, number>> {
    const answer = await fetch(`${server.url}/metrics`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toContain('text/plain');
    return samples(await answer.text());
  }

  it('counts heartbeats, appends, sensors by status and how late offline was detected', async () => {
    const admin = await start();
    const { key } = await admin.do<{ key: string }>('mutation', 'apiKeys.create', { name: 'fleet' });
    const wire = wireSensor(server.url, key);
    const trpc = trpcSensor(server.url, key);
    const quiet = await wire.register({ name: 'quiet', hostname: 'h1' });
    const talkative = await trpc.register({ name: 'talkative', hostname: 'h2' });
    expect(await wire.heartbeat(quiet)).toBe(200);
    expect(await trpc.heartbeat(talkative)).toBe(200);
    expect(await trpc.heartbeat(talkative)).toBe(200);

    // Both go silent; the timer fires at the deadline, and simulated time is 5 s past it when the event is stored.
    await server.advance(OFFLINE_AFTER_MS + 5_000);
    const after = await scrape();
    expect(after.get('harborguard_heartbeat_duration_seconds_count{transport="wire"}')).toBe(1);
    expect(after.get('harborguard_heartbeat_duration_seconds_count{transport="trpc"}')).toBe(2);
    expect(after.get('harborguard_offline_detection_lag_seconds_count')).toBe(2);
    expect(after.get('harborguard_offline_detection_lag_seconds_sum')).toBe(10);
    expect(after.get('harborguard_offline_detection_lag_seconds_bucket{le="2.5"}')).toBe(0);
    expect(after.get('harborguard_offline_detection_lag_seconds_bucket{le="5"}')).toBe(2);
    expect(after.get('harborguard_sensors{status="offline"}')).toBe(2);
    expect(after.get('harborguard_sensors{status="online"}')).toBe(0);
    // Two registrations and two offline transitions at least (the key's creation too).
    expect(after.get('harborguard_append_duration_seconds_count')).toBeGreaterThanOrEqual(4);
    expect(after.get('harborguard_events_appended_total')).toBeGreaterThanOrEqual(4);
    expect(after.get('harborguard_projection_lag_seconds')).toBe(0);
  });

  it('keeps the names that existed before, and adds the process defaults', async () => {
    await start();
    const names = metricNames(await scrape());
    for (const name of ['harborguard_ready', 'harborguard_sensor_actors', 'harborguard_store_position', 'harborguard_projection_position', 'harborguard_projection_lag_positions', 'harborguard_sensors']) {
      expect(names, name).toContain(name);
    }
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_heap_size_used_bytes']) expect(names, name).toContain(name);
  });

  it('has every metric the sample alert rules and Grafana dashboard query', async () => {
    await start();
    const exposed = metricNames(await scrape());
    const queried = (text: string) => new Set(text.match(/\b(?:harborguard|process|nodejs)_[a-z0-9_]+/g) ?? []);
    const rules = deployFile('prometheus/alerts.yml');
    const dashboard = JSON.parse(deployFile('grafana/harborguard-dashboard.json')) as { panels: { targets: { expr: string }[] }[] };
    const expressions = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr)).join('\n');
    const wanted = new Set([...queried(rules), ...queried(expressions)]);
    expect(wanted.size).toBeGreaterThan(8);
    expect([...wanted].filter((name) => !exposed.has(name))).toEqual([]);
    for (const alert of ['HarborGuardDown', 'HarborGuardProjectionLag', 'HarborGuardManySensorsOffline']) expect(rules).toContain(`alert: ${alert}`);
  });
});
