import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { ADMIN_TOKEN, OFFLINE_AFTER_MS, TestServer } from '../support/test-server.js';
import { bearer, TrpcHttp } from '../support/http-clients.js';
import { wireSensor, type SensorClient } from '../support/sensor-clients.js';

const MIN = 60_000;

describe('sensor history, availability and exports', () => {
  let server: TestServer;
  let admin: TrpcHttp;
  let sensor: SensorClient;
  let start: number;
  const iso = (ms: number) => new Date(ms).toISOString();

  beforeEach(async () => {
    server = await TestServer.start();
    admin = new TrpcHttp(server.url, ADMIN_TOKEN);
    sensor = wireSensor(server.url, (await admin.do<{ key: string }>('mutation', 'apiKeys.create', { name: 'fleet' })).key);
    start = server.clock.now();
  });

  afterEach(() => server.destroy());

  /** Registers at start; silent past the threshold (offline at +2 min); back at +10 min, heartbeating each minute; deleted at +20 min. */
  async function lifeOfOne(): Promise<string> {
    const id = await sensor.register({ name: 'scanner-1', hostname: 'node-1' });
    await server.advance(10 * MIN);
    await sensor.heartbeat(id);
    for (let minute = 0; minute < 10; minute++) {
      await server.advance(MIN);
      await sensor.heartbeat(id);
    }
    await admin.do('mutation', 'sensors.delete', { id });
    await server.settled();
    return id;
  }

  const download = (path: string, token: string | null = ADMIN_TOKEN) => fetch(`${server.url}${path}`, { headers: bearer(token ?? undefined) });

  it('tells the intervals of a sensor with their causes, and its availability in the window', async () => {
    const id = await lifeOfOne();
    const history = await admin.do('query', 'audit.sensorHistory', { sensorId: id, from: iso(start - 5 * MIN), until: iso(start + 30 * MIN) });
    expect(history.intervals.map((i: { status: string; from: string; until: string; cause: { type: string } }) => [i.status, i.from, i.until, i.cause.type])).toEqual([
      ['online', iso(start), iso(start + OFFLINE_AFTER_MS), 'SensorRegistered'],
      ['offline', iso(start + OFFLINE_AFTER_MS), iso(start + 10 * MIN), 'SensorWentOffline'],
      ['online', iso(start + 10 * MIN), iso(start + 20 * MIN), 'SensorCameOnline'],
    ]);
    expect(history.intervals[0].cause.actor).toEqual({ kind: 'sensor', id });
    expect(history.availability).toEqual({ ratio: 12 / 20, outages: 1, longestOutageMs: 8 * MIN, mttrMs: 8 * MIN });

    // A window that opens in the middle of the outage.
    const inside = await admin.do('query', 'audit.sensorHistory', { sensorId: id, from: iso(start + 5 * MIN), until: iso(start + 15 * MIN) });
    expect(inside.intervals[0]).toMatchObject({ status: 'offline', from: iso(start + 5 * MIN), until: iso(start + 10 * MIN) });
    expect(inside.availability).toEqual({ ratio: 0.5, outages: 1, longestOutageMs: 5 * MIN, mttrMs: 5 * MIN });
  });

  it('reports every sensor of the org, as a table and as CSV', async () => {
    const id = await lifeOfOne();
    const other = await sensor.register({ name: 'scanner-2', hostname: 'node-2' });
    const window = { from: iso(start), until: iso(start + 20 * MIN) };
    const report = await admin.do('query', 'audit.availability', window);
    expect(report.sensors).toEqual([
      { sensorId: id, name: 'scanner-1', host: 'node-1', ratio: 12 / 20, outages: 1, longestOutageMs: 8 * MIN, mttrMs: 8 * MIN },
      { sensorId: other, name: 'scanner-2', host: 'node-2', ratio: null, outages: 0, longestOutageMs: 0, mttrMs: null },
    ]);
    const response = await download(`/api/audit/availability.csv?from=${window.from}&until=${window.until}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/csv');
    const rows = parse(await response.text(), { columns: true });
    expect(rows).toEqual([
      { sensorId: id, name: 'scanner-1', host: 'node-1', ratio: String(12 / 20), outages: '1', longestOutageMs: String(8 * MIN), mttrMs: String(8 * MIN) },
      { sensorId: other, name: 'scanner-2', host: 'node-2', ratio: '', outages: '0', longestOutageMs: '0', mttrMs: '' },
    ]);
  });

  it('pages the report by name, each sensor once, while the download stays whole', async () => {
    const ids: string[] = [];
    for (const name of ['delta', 'alpha', 'charlie', 'alpha', 'bravo']) ids.push(await sensor.register({ name, hostname: `host-${ids.length}` }));
    await server.advance(5 * MIN);
    await server.settled();
    const window = { from: iso(start), until: iso(start + 5 * MIN) };
    const whole = await admin.do('query', 'audit.availability', window);
    expect(whole.sensors.map((row: { name: string }) => row.name)).toEqual(['alpha', 'alpha', 'bravo', 'charlie', 'delta']);
    expect(whole).toMatchObject({ total: 5, next: null });
    const rows: unknown[] = [];
    for (let cursor: string | undefined; ; ) {
      const page = await admin.do('query', 'audit.availability', { ...window, limit: 2, ...(cursor ? { cursor } : {}) });
      expect(page.total).toBe(5);
      expect(page.sensors.length).toBeLessThanOrEqual(2);
      rows.push(...page.sensors);
      if (page.next === null) break;
      cursor = page.next;
    }
    expect(rows).toEqual(whole.sensors);
    const csv = parse(await (await download(`/api/audit/availability.csv?from=${window.from}&until=${window.until}&limit=1`)).text(), { columns: true });
    expect(csv).toHaveLength(5);
    const bad = await admin.query('audit.availability', { ...window, limit: 2, cursor: 'nonsense' });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.message).toContain('cursor');
  });

  it('refuses bad windows, unknown sensors, and callers without an auditor token', async () => {
    const id = await lifeOfOne();
    const backwards = await admin.query('audit.sensorHistory', { sensorId: id, from: iso(start + MIN), until: iso(start) });
    expect(backwards.status).toBe(400);
    expect(backwards.body.error?.message).toContain('until');
    expect((await admin.query('audit.sensorHistory', { sensorId: 'nope', from: iso(start), until: iso(start + MIN) })).status).toBe(404);
    const csv = await download(`/api/audit/availability.csv?from=yesterday&until=${iso(start)}`);
    expect(csv.status).toBe(400);
    expect(((await csv.json()) as { error: string }).error).toContain('from');
    expect((await download(`/api/audit/export`, null)).status).toBe(401);
    expect((await download(`/api/audit/export?format=xml`)).status).toBe(400);
    // Another org's auditor sees none of this org's history.
    const { id: acme } = await admin.do('mutation', 'orgs.create', { name: 'acme' });
    const auditor = (await admin.do('mutation', 'tokens.create', { role: 'auditor', name: 'a', orgId: acme })).token;
    expect((await admin.as(auditor).query('audit.sensorHistory', { sensorId: id, from: iso(start), until: iso(start + MIN) })).status).toBe(404);
    expect(await (await download('/api/audit/export', auditor)).text()).not.toContain(id);
  });

  it('exports the org log as NDJSON and CSV with the same events as audit.events, secrets removed', async () => {
    const id = await lifeOfOne();
    // The export is the whole log, last-contact checkpoints included (audit.events shows them when asked).
    const { events } = await admin.do('query', 'audit.events', { limit: 1000, includeCheckpoints: true });
    const ndjson = await download('/api/audit/export?format=ndjson');
    expect(ndjson.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = (await ndjson.text()).trim().split('\n').map((line) => JSON.parse(line));
    expect(lines).toEqual(events);
    expect(JSON.stringify(lines)).not.toMatch(/keyHash|tokenHash/);

    const csv = parse(await (await download('/api/audit/export?format=csv')).text(), { columns: true }) as Record<string, string>[];
    expect(csv.map((row) => ({ ...row, data: JSON.parse(row['data']!), metadata: JSON.parse(row['metadata']!) }))).toEqual(events);

    const offline = await download(`/api/audit/export?stream=sensor-${id}&type=SensorWentOffline&from=${iso(start + MIN)}&until=${iso(start + 15 * MIN)}`);
    const only = (await offline.text()).trim().split('\n').map((line) => JSON.parse(line));
    expect(only.map((event: { type: string; stream: string }) => [event.type, event.stream])).toEqual([['SensorWentOffline', `sensor-${id}`]]);
  });
});
