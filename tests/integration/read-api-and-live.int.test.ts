import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, OFFLINE_AFTER_MS, TestServer } from '../support/test-server.js';
import { TrpcHttp, wire } from '../support/http-clients.js';
import { wireSensor, type SensorClient } from '../support/sensor-clients.js';
import { sensorOf, subscribeFleet } from '../support/live-client.js';

describe('read API and live fleet', () => {
  let server: TestServer;
  let admin: TrpcHttp;
  let key: string;
  let sensor: SensorClient;
  const closers: (() => Promise<void>)[] = [];

  beforeEach(async () => {
    server = await TestServer.start();
    admin = new TrpcHttp(server.url, ADMIN_TOKEN);
    key = (await admin.do<{ key: string }>('mutation', 'apiKeys.create', { name: 'fleet' })).key;
    sensor = wireSensor(server.url, key);
  });

  afterEach(async () => {
    while (closers.length) await closers.pop()!();
    await server.destroy();
  });

  function live(token = ADMIN_TOKEN, lastEventId?: string) {
    const subscriber = subscribeFleet(server.url, token, lastEventId);
    closers.push(() => subscriber.close());
    return subscriber;
  }

  it('shows a heartbeat that brings a sensor back online in sensors.list and on live.fleet within a second', async () => {
    const id = await sensor.register({ name: 'scanner-eu-1', hostname: 'node-7' });
    await server.advance(OFFLINE_AFTER_MS);
    const subscriber = live();
    await subscriber.ready;

    const sent = Date.now();
    expect(await sensor.heartbeat(id)).toBe(200);
    const message = await subscriber.waitFor((m) => sensorOf(m)?.id === id && sensorOf(m)?.status === 'online', 1_000);
    expect(message.receivedAt - sent).toBeLessThan(1_000);
    expect(message.data).toMatchObject({ kind: 'sensor', summary: { total: 1, online: 1, offline: 0 } });
    const list = await admin.do('query', 'sensors.list');
    expect(list.items.map((row: { id: string; status: string }) => [row.id, row.status])).toEqual([[id, 'online']]);
  });

  it('sends a heartbeat that changes nothing else as a last-heartbeat update', async () => {
    const id = await sensor.register({ name: 's', hostname: 'h' });
    const subscriber = live();
    await subscriber.ready;
    await server.advance(30_000);
    await sensor.heartbeat(id);
    const expected = new Date(server.clock.now()).toISOString();
    const message = await subscriber.waitFor((m) => sensorOf(m)?.lastHeartbeatAt === expected, 3_000);
    expect(sensorOf(message)).toMatchObject({ id, status: 'online' });
  });

  it('replays exactly what a reconnecting client missed, then goes on live', async () => {
    const first = await sensor.register({ name: 'a', hostname: 'h1' });
    const subscriber = live();
    await subscriber.ready;
    const registryId = (await admin.do('mutation', 'registries.create', { name: 'r', url: 'u' })).id;
    await admin.do('mutation', 'sensors.bindRegistry', { sensorId: first, registryId });
    const seen = await subscriber.waitFor((m) => sensorOf(m)?.registry?.id === registryId);
    await subscriber.close();

    // While the client is away: a new sensor, and the first one goes offline.
    const second = await sensor.register({ name: 'b', hostname: 'h2' });
    await server.advance(OFFLINE_AFTER_MS);
    await sensor.heartbeat(second);
    await server.settled();

    const resumed = live(ADMIN_TOKEN, seen.id);
    const offline = await resumed.waitFor((m) => sensorOf(m)?.id === first && sensorOf(m)?.status === 'offline');
    const ids = resumed.messages.map((m) => m.id);
    expect(ids).not.toContain(seen.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(resumed.messages.some((m) => sensorOf(m)?.id === second)).toBe(true);
    expect(resumed.messages.every((m) => m.data.kind !== 'reset')).toBe(true);
    expect(offline.data.summary).toMatchObject({ total: 2 });

    // Then live again.
    await sensor.heartbeat(first);
    await resumed.waitFor((m) => sensorOf(m)?.id === first && sensorOf(m)?.status === 'online');
  });

  it('sends the whole fleet once to a client whose position is unknown', async () => {
    await sensor.register({ name: 'a', hostname: 'h1' });
    await sensor.register({ name: 'b', hostname: 'h2' });
    const subscriber = live(ADMIN_TOKEN, '999999-999999');
    const reset = await subscriber.waitFor((m) => m.data.kind === 'reset');
    expect(reset.data.kind === 'reset' && reset.data.sensors.map((s) => s.name)).toEqual(['a', 'b']);
  });

  it('keeps each org to its own live changes and refuses a token revoked mid-subscription', async () => {
    const { id: orgId } = await admin.do('mutation', 'orgs.create', { name: 'acme' });
    const acmeAdmin = await admin.do('mutation', 'tokens.create', { role: 'admin', name: 'acme', orgId });
    const operator = await admin.do('mutation', 'tokens.create', { role: 'operator', name: 'ops' });
    const acme = live(acmeAdmin.token);
    const ops = live(operator.token);
    await Promise.all([acme.ready, ops.ready]);

    const id = await sensor.register({ name: 'scanner', hostname: 'h' });
    await ops.waitFor((m) => sensorOf(m)?.id === id);
    await admin.do('mutation', 'tokens.revoke', { id: operator.id });
    await sensor.register({ name: 'another', hostname: 'h2' });
    const error = await ops.waitForError();
    expect(error.message).toContain('Token revoked');
    expect(ops.messages.some((m) => sensorOf(m)?.name === 'another')).toBe(false);
    expect(acme.messages).toEqual([]);
  });

  it('lists sensors offline first, then by name, with filters and a cursor that visits each once', async () => {
    const registryId = (await admin.do('mutation', 'registries.create', { name: 'r', url: 'u' })).id;
    const ids: Record<string, string> = {};
    for (const name of ['delta', 'alpha', 'echo', 'charlie', 'bravo']) ids[name] = await sensor.register({ name, hostname: `${name}.example` });
    await server.advance(OFFLINE_AFTER_MS / 2);
    for (const name of ['alpha', 'echo', 'bravo']) await sensor.heartbeat(ids[name]!);
    await server.advance(OFFLINE_AFTER_MS / 2);
    await admin.do('mutation', 'sensors.bindRegistry', { sensorId: ids['echo'], registryId });

    const names = (page: { items: { name: string }[] }) => page.items.map((row) => row.name);
    const all = await admin.do('query', 'sensors.list', {});
    expect(names(all)).toEqual(['charlie', 'delta', 'alpha', 'bravo', 'echo']);
    expect(all.total).toBe(5);
    expect(names(await admin.do('query', 'sensors.list', { status: 'offline' }))).toEqual(['charlie', 'delta']);
    expect(names(await admin.do('query', 'sensors.list', { registryId }))).toEqual(['echo']);
    expect(names(await admin.do('query', 'sensors.list', { search: 'CHAR' }))).toEqual(['charlie']);
    expect(names(await admin.do('query', 'sensors.list', { search: 'bravo.example' }))).toEqual(['bravo']);

    const visited: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await admin.do('query', 'sensors.list', { limit: 2, ...(cursor ? { cursor } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(2);
      visited.push(...names(page));
      cursor = page.next ?? undefined;
    } while (cursor);
    expect(visited).toEqual(['charlie', 'delta', 'alpha', 'bravo', 'echo']);
    expect(await admin.do('query', 'fleet.summary')).toEqual({ total: 5, online: 3, scanning: 0, offline: 2, sharedHosts: 0 });
    expect((await admin.query('sensors.list', { cursor: 'garbage' })).status).toBe(400);
  });

  it('shows a sensor with its job history and its audit trail, newest first, paged', async () => {
    const id = await sensor.register({ name: 'scanner', hostname: 'h' });
    const registryId = (await admin.do('mutation', 'registries.create', { name: 'r', url: 'u' })).id;
    await admin.do('mutation', 'sensors.bindRegistry', { sensorId: id, registryId });
    const jobIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      jobIds.push((await admin.do('mutation', 'jobs.scanNow', { registryId, imageRef: `app:${i}` })).jobId);
      await sensor.poll(id);
      await sensor.report(id, jobIds[i]!, 'completed');
    }
    const detail = await admin.do('query', 'sensors.get', { id, limit: 2 });
    expect(detail.sensor.recentJobs.map((j: { id: string }) => j.id)).toEqual([...jobIds].reverse());
    expect(detail.jobs.items.map((j: { id: string }) => j.id)).toEqual([jobIds[2], jobIds[1]]);
    const older = await admin.do('query', 'sensors.get', { id, limit: 2, jobsCursor: detail.jobs.next });
    expect(older.jobs).toEqual({ items: [expect.objectContaining({ id: jobIds[0], status: 'completed' })], next: null });

    expect(detail.auditTrail.items.map((e: { type: string }) => e.type)).toEqual(['SensorFinishedScanning', 'SensorStartedScanning']);
    const trail: string[] = [];
    let auditCursor: string | undefined;
    do {
      const page = await admin.do('query', 'sensors.get', { id, limit: 3, ...(auditCursor ? { auditCursor } : {}) });
      trail.push(...page.auditTrail.items.map((e: { type: string; metadata: { actor: { kind: string } } }) => `${e.type}/${e.metadata.actor.kind}`));
      auditCursor = page.auditTrail.next ?? undefined;
    } while (auditCursor);
    expect(trail).toEqual([
      'SensorFinishedScanning/sensor',
      'SensorStartedScanning/sensor',
      'SensorFinishedScanning/sensor',
      'SensorStartedScanning/sensor',
      'SensorFinishedScanning/sensor',
      'SensorStartedScanning/sensor',
      'SensorBoundToRegistry/user',
      'SensorRegistered/sensor',
    ]);
  });

  it('gives auditors the org event log in store order, filtered and paged, without secrets', async () => {
    const auditor = admin.as((await admin.do('mutation', 'tokens.create', { role: 'auditor', name: 'audit' })).token);
    const id = await sensor.register({ name: 's', hostname: 'h' });
    await server.advance(OFFLINE_AFTER_MS);
    await sensor.heartbeat(id);

    const everything = await auditor.do('query', 'audit.events', { limit: 1000 });
    const positions = everything.events.map((e: { position: string }) => BigInt(e.position));
    expect(positions).toEqual([...positions].sort((a: bigint, b: bigint) => (a < b ? -1 : 1)));
    expect(everything.events.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(['OrgCreated', 'TokenCreated', 'ApiKeyCreated', 'SensorRegistered', 'SensorWentOffline', 'SensorCameOnline']),
    );
    const text = JSON.stringify(everything);
    expect(text).not.toMatch(/keyHash|tokenHash/);
    expect(text).not.toContain(key);

    const forSensor = await auditor.do('query', 'audit.events', { sensorId: id });
    expect(forSensor.events.map((e: { type: string }) => e.type)).toEqual(['SensorRegistered', 'SensorWentOffline', 'SensorCameOnline']);
    expect((await auditor.do('query', 'audit.events', { type: 'SensorWentOffline' })).events).toHaveLength(1);

    const paged: string[] = [];
    let after: string | undefined;
    do {
      const page = await auditor.do('query', 'audit.events', { limit: 2, ...(after ? { after } : {}) });
      paged.push(...page.events.map((e: { position: string }) => e.position));
      after = page.next ?? undefined;
    } while (after);
    expect(paged).toEqual(everything.events.map((e: { position: string }) => e.position));

    const until = everything.events[1].recordedAt;
    expect((await auditor.do('query', 'audit.events', { until })).events.every((e: { recordedAt: string }) => e.recordedAt <= until)).toBe(true);
    expect((await auditor.query('audit.events', { after: 'x' })).status).toBe(400);
    // Operators and admins are auditors too; sensors are not.
    expect((await new TrpcHttp(server.url, key).query('audit.events')).status).toBe(401);
  });

  it('finds nothing of another org through any read procedure', async () => {
    const id = await sensor.register({ name: 's', hostname: 'h' });
    const registryId = (await admin.do('mutation', 'registries.create', { name: 'r', url: 'u' })).id;
    const { jobId } = await admin.do('mutation', 'jobs.scanNow', { registryId, imageRef: 'app:1' });
    const { id: orgId } = await admin.do('mutation', 'orgs.create', { name: 'acme' });
    const acme = admin.as((await admin.do('mutation', 'tokens.create', { role: 'admin', name: 'acme', orgId })).token);

    for (const [path, input] of [
      ['sensors.get', { id }],
      ['registries.get', { id: registryId }],
      ['jobs.get', { id: jobId }],
    ] as const) {
      expect([path, (await acme.query(path, input)).status]).toEqual([path, 404]);
    }
    expect(await acme.do('query', 'jobs.list', { sensorId: id })).toEqual([]);
    expect(await acme.do('query', 'jobs.list', { registryId })).toEqual([]);
    expect((await acme.do('query', 'sensors.list', { registryId })).items).toEqual([]);
    expect(await acme.do('query', 'fleet.summary')).toEqual({ total: 0, online: 0, scanning: 0, offline: 0, sharedHosts: 0 });
    expect((await acme.do('query', 'audit.events', { sensorId: id })).events).toEqual([]);
    expect((await acme.do('query', 'audit.events', { stream: `registry-${registryId}` })).events).toEqual([]);
    const acmeLog = await acme.do('query', 'audit.events', { limit: 1000 });
    expect(acmeLog.events.every((e: { metadata: { orgId: string } }) => e.metadata.orgId === orgId)).toBe(true);
    expect((await wire(server.url, undefined, 'GET', '/api/trpc/fleet.summary')).status).toBe(401);
  });
});
