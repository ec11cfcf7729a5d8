import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { RecordedEvent } from '@harborguard/eventstore';
import { modelEventOf } from '../../server/src/domain/model-event.js';
import { ReadModels } from '../../server/src/projections/read-models.js';
import { ReadQueries } from '../../server/src/projections/read-queries.js';
import { HistoryReplay, occurredAtMs } from '../../server/src/projections/history-replay.js';
import { AuditQueries, sensorsOfOrg } from '../../server/src/projections/audit-queries.js';
import { ADMIN_TOKEN, TestServer } from '../support/test-server.js';
import { TrpcHttp } from '../support/http-clients.js';
import { wireSensor, type SensorClient } from '../support/sensor-clients.js';

/** A random but reproducible fleet life: sensors come, heartbeat, fall silent, get bound, scan, get deleted. */
async function randomHistory(server: TestServer, admin: TrpcHttp, sensor: SensorClient, seed: number, steps: number): Promise<void> {
  const random = fc.sample(fc.integer({ min: 0, max: 999 }), { seed, numRuns: steps * 3 });
  let next = 0;
  const pick = (n: number) => random[next++ % random.length]! % n;
  const sensors: string[] = [];
  const registries: string[] = [];
  for (let step = 0; step < steps; step++) {
    const roll = pick(100);
    const some = () => sensors[pick(sensors.length)]!;
    if (roll < 3 || sensors.length === 0) sensors.push(await sensor.register({ name: `s-${step}`, hostname: `h-${pick(5)}` }));
    else if (roll < 5 || registries.length === 0) registries.push((await admin.do('mutation', 'registries.create', { name: `r-${step}`, url: `https://r${step}.example` })).id);
    else if (roll < 55) await sensor.heartbeat(some());
    else if (roll < 63) await admin.mutation('sensors.bindRegistry', { sensorId: some(), registryId: registries[pick(registries.length)]! });
    else if (roll < 68) await admin.mutation('jobs.scanNow', { registryId: registries[pick(registries.length)]!, imageRef: `img:${step}` });
    else if (roll < 80) {
      const id = some();
      await sensor.heartbeat(id);
      for (const job of (await sensor.poll(id)).jobs) await sensor.report(id, job.id, pick(2) === 0 ? 'completed' : 'failed');
    } else if (roll < 81) await admin.mutation('sensors.delete', { id: some() });
    else await server.advance(1_000 * (1 + pick(40)));
  }
  await server.settled();
}

async function wholeLog(server: TestServer): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for (let from: bigint | 'start' = 'start'; ; ) {
    const page = await server.store.readAll({ fromPosition: from, maxCount: 1000 });
    events.push(...page);
    if (page.length < 1000) return events;
    from = page.at(-1)!.position + 1n;
  }
}

/** The reference: a fresh set of read models fed the prefix of the log that ends before the first event after `at`. */
function fullReplay(log: RecordedEvent[], orgId: string, at: number) {
  const models = new ReadModels();
  let position: string | null = null;
  for (const event of log) {
    if (occurredAtMs(event) > at) break;
    models.apply(modelEventOf(event));
    position = event.position.toString();
  }
  const queries = new ReadQueries(models, server.store, () => undefined, () => at);
  return { position, sensors: queries.listSensors(orgId, { limit: 1_000_000 }).items, registries: queries.registries(orgId), jobs: queries.jobs(orgId, {}, 500) };
}

let server: TestServer;

describe('audit.stateAt', () => {
  let admin: TrpcHttp;
  let orgId: string;
  let log: RecordedEvent[];

  beforeAll(async () => {
    server = await TestServer.start();
    admin = new TrpcHttp(server.url, ADMIN_TOKEN);
    orgId = (await admin.do('query', 'session.whoami')).orgId;
    const key = (await admin.do<{ key: string }>('mutation', 'apiKeys.create', { name: 'fleet' })).key;
    await randomHistory(server, admin, wireSensor(server.url, key), 1414, 2_500);
    log = await wholeLog(server);
  }, 120_000);

  afterAll(async () => {
    await server.destroy();
  });

  it('equals a full replay of the log prefix at many random moments, snapshots or not', async () => {
    expect(log.length).toBeGreaterThan(2_000);
    const types = new Set(log.map((event) => event.type));
    for (const type of ['SensorWentOffline', 'SensorCameOnline', 'SensorDeleted', 'SensorBoundToRegistry', 'JobAssigned', 'JobCompleted', 'JobFailed']) expect(types).toContain(type);
    const first = occurredAtMs(log[0]!);
    const last = occurredAtMs(log.at(-1)!);
    const exact = fc.sample(fc.integer({ min: 0, max: log.length - 1 }), { seed: 7, numRuns: 30 }).map((i) => occurredAtMs(log[i]!));
    const between = fc.sample(fc.integer({ min: first - 60_000, max: last + 60_000 }), { seed: 8, numRuns: 30 });
    // Small snapshot steps, so later moments start from snapshots that earlier ones left behind.
    const withSnapshots = new AuditQueries(server.store, sensorsOfOrg(server.app.readModel), new HistoryReplay(server.store, { snapshotEvery: 97 }));
    for (const at of [...exact, ...between, first, last]) {
      const expected = fullReplay(log, orgId, at);
      const iso = new Date(at).toISOString();
      expect(await withSnapshots.stateAt(orgId, iso), `at ${iso}`).toEqual({ at: iso, ...expected });
    }
    expect(withSnapshots.replay.snapshotCount).toBeGreaterThan(10);
    // And through the API, as an auditor calls it.
    for (const at of exact.slice(0, 5)) {
      const iso = new Date(at).toISOString();
      expect(await admin.do('query', 'audit.stateAt', { at: iso })).toEqual({ at: iso, ...fullReplay(log, orgId, at) });
    }
  }, 120_000);

  it('shows now what the live sensor list shows, apart from contacts no event recorded', async () => {
    const now = new Date(server.clock.now()).toISOString();
    const past = await admin.do('query', 'audit.stateAt', { at: now });
    const live = await admin.do('query', 'sensors.list', { limit: 500 });
    const shape = (rows: { id: string; status: string; registry: unknown }[]) => rows.map((row) => [row.id, row.status, row.registry]);
    expect(shape(past.sensors)).toEqual(shape(live.items));
    expect(past.registries).toEqual(await admin.do('query', 'registries.list'));
  });

  it('pages the sensors of a moment as sensors.list pages the live ones: every row once, in order, both ways', async () => {
    const at = occurredAtMs(log[Math.floor(log.length * 0.8)]!);
    const iso = new Date(at).toISOString();
    const every = fullReplay(log, orgId, at).sensors;
    expect(every.length).toBeGreaterThan(20);
    const pages: { sensors: { id: string }[]; sensorPage: { total: number; next: string | null; prev: string | null } }[] = [];
    for (let cursor: string | undefined; ; ) {
      const page = await admin.do('query', 'audit.stateAt', { at: iso, sensors: { limit: 7, ...(cursor ? { cursor } : {}) } });
      pages.push(page);
      expect(page.sensors.length).toBeLessThanOrEqual(7);
      expect(page.sensorPage.total).toBe(every.length);
      if (!page.sensorPage.next) break;
      cursor = page.sensorPage.next;
    }
    expect(pages.flatMap((page) => page.sensors)).toEqual(every);
    expect(pages[0]!.sensorPage.prev).toBeNull();
    // Back from the last page, page by page.
    const back = await admin.do('query', 'audit.stateAt', { at: iso, sensors: { limit: 7, before: pages.at(-1)!.sensorPage.prev } });
    expect(back.sensors).toEqual(pages.at(-2)!.sensors);
    // Filters are those of the live list.
    const offline = await admin.do('query', 'audit.stateAt', { at: iso, sensors: { status: 'offline', limit: 500 } });
    expect(offline.sensors).toEqual(every.filter((row) => row.status === 'offline'));
    expect(offline.sensorPage.total).toBe(offline.sensors.length);
    const bad = await admin.query('audit.stateAt', { at: iso, sensors: { cursor: 'not-a-cursor' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.message).toContain('cursor');
  });

  it("answers an auditor of another org with that org's (empty) past, and refuses bad moments", async () => {
    const { id: acme } = await admin.do('mutation', 'orgs.create', { name: 'acme' });
    const auditor = await admin.do('mutation', 'tokens.create', { role: 'auditor', name: 'acme-audit', orgId: acme });
    const theirs = await admin.as(auditor.token).do('query', 'audit.stateAt', { at: new Date(server.clock.now()).toISOString() });
    expect(theirs).toMatchObject({ sensors: [], registries: [], jobs: [] });
    const theirPage = await admin.as(auditor.token).do('query', 'audit.stateAt', { at: new Date(server.clock.now()).toISOString(), sensors: { limit: 10 } });
    expect(theirPage).toMatchObject({ sensors: [], sensorPage: { total: 0, next: null, prev: null } });
    const bad = await admin.query('audit.stateAt', { at: 'last tuesday' });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.message).toContain('at');
    expect((await admin.as(undefined).query('audit.stateAt', { at: new Date().toISOString() })).status).toBe(401);
  });
});
