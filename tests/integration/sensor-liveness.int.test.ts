import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, OFFLINE_AFTER_MS, TestServer } from '../support/test-server.js';
import { TrpcHttp } from '../support/http-clients.js';
import { trpcSensor, wireSensor, type SensorClient } from '../support/sensor-clients.js';

/**
 * The life of a sensor end to end over real HTTP, once through the native tRPC procedures
 * and once through the wire routes the deployed agent speaks: the same scenario must hold.
 */
describe.each([
  ['tRPC', trpcSensor],
  ['wire', wireSensor],
] as const)('sensor liveness through %s', (_kind, makeClient) => {
  let server: TestServer;
  let admin: TrpcHttp;
  let key: string;
  let sensor: SensorClient;
  let registryId: string;

  beforeEach(async () => {
    server = await TestServer.start();
    admin = new TrpcHttp(server.url, ADMIN_TOKEN);
    key = (await admin.do<{ key: string }>('mutation', 'apiKeys.create', { name: 'fleet' })).key;
    sensor = makeClient(server.url, key);
    registryId = (await admin.do<{ id: string }>('mutation', 'registries.create', { name: 'harbor-eu', url: 'harbor.example/eu' })).id;
  });

  afterEach(async () => {
    await server.destroy();
  });

  const getSensor = async (id: string) => (await admin.do('query', 'sensors.get', { id })).sensor;
  const getRegistry = (id: string) => admin.do('query', 'registries.get', { id });
  const getJob = (id: string) => admin.do('query', 'jobs.get', { id });

  it('goes offline exactly at the threshold, comes back on the next request, and stores each transition once', async () => {
    const id = await sensor.register({ name: 'scanner-eu-1', hostname: 'node-7' });
    expect(await server.eventTypes(`sensor-${id}`)).toEqual(['SensorRegistered']);

    await server.advance(30_000);
    expect(await sensor.heartbeat(id)).toBe(200);
    const lastContact = new Date(server.clock.now()).toISOString();
    // A heartbeat that changes nothing appends nothing.
    expect(await server.eventTypes(`sensor-${id}`)).toEqual(['SensorRegistered']);
    expect((await getSensor(id)).lastHeartbeatAt).toBe(lastContact);

    await server.advance(OFFLINE_AFTER_MS - 1);
    expect((await getSensor(id)).status).toBe('online');
    await server.advance(1);
    expect((await getSensor(id)).status).toBe('offline');
    const offline = (await server.stream(`sensor-${id}`)).at(-1)!;
    expect(offline.type).toBe('SensorWentOffline');
    expect(offline.data).toMatchObject({ sensorId: id, lastHeartbeatAt: lastContact, thresholdMs: OFFLINE_AFTER_MS });

    await server.advance(60_000);
    expect(await sensor.heartbeat(id)).toBe(200);
    expect((await getSensor(id)).status).toBe('online');
    expect(await server.eventTypes(`sensor-${id}`)).toEqual(['SensorRegistered', 'SensorWentOffline', 'SensorCameOnline']);
  });

  it('a job poll alone keeps a sensor online', async () => {
    const id = await sensor.register({ name: 'poller', hostname: 'node-1' });
    for (let i = 0; i < 5; i++) {
      await server.advance(OFFLINE_AFTER_MS - 1_000);
      expect((await sensor.poll(id)).status).toBe(200);
    }
    expect((await getSensor(id)).status).toBe('online');
    expect(await server.eventTypes(`sensor-${id}`)).toEqual(['SensorRegistered']);
  });

  it('moves the bound registry to ERROR when its only sensor goes offline, and back to ACTIVE when it returns', async () => {
    const id = await sensor.register({ name: 'scanner-eu-1', hostname: 'node-7' });
    await admin.do('mutation', 'sensors.bindRegistry', { sensorId: id, registryId });
    await server.advance(OFFLINE_AFTER_MS);
    const failed = await getRegistry(registryId);
    expect(failed.status).toBe('ERROR');
    expect(failed.reason).toContain('scanner-eu-1');

    expect(await sensor.heartbeat(id)).toBe(200);
    await server.settled();
    expect((await getRegistry(registryId)).status).toBe('ACTIVE');
    const changes = (await server.stream(`registry-${registryId}`)).filter((e) => e.type === 'RegistryStatusChanged').map((e) => e.data);
    expect(changes).toMatchObject([
      { from: 'ACTIVE', to: 'ERROR', sensorId: id },
      { from: 'ERROR', to: 'ACTIVE', sensorId: id },
    ]);
  });

  it('keeps the registry ACTIVE while another bound sensor is still connected', async () => {
    const first = await sensor.register({ name: 'a', hostname: 'node-a' });
    await admin.do('mutation', 'sensors.bindRegistry', { sensorId: first, registryId });
    await server.advance(60_000);
    const second = await sensor.register({ name: 'b', hostname: 'node-b' });
    await admin.do('mutation', 'sensors.bindRegistry', { sensorId: second, registryId });
    await server.advance(OFFLINE_AFTER_MS - 60_000);
    expect((await getSensor(first)).status).toBe('offline');
    expect((await getRegistry(registryId)).status).toBe('ACTIVE');
    await server.advance(60_000);
    expect((await getRegistry(registryId)).status).toBe('ERROR');
  });

  it('runs a job: the oldest pending job is handed out, the sensor scans, the report returns it online', async () => {
    const id = await sensor.register({ name: 'scanner', hostname: 'node-1' });
    await admin.do('mutation', 'sensors.bindRegistry', { sensorId: id, registryId });
    const older = await admin.do<{ jobId: string }>('mutation', 'jobs.scanNow', { registryId, imageRef: 'harbor.example/eu/app:1' });
    const newer = await admin.do<{ jobId: string }>('mutation', 'jobs.scanNow', { registryId, imageRef: 'harbor.example/eu/app:2' });

    const polled = await sensor.poll(id);
    expect(polled.jobs.map((j) => j.id)).toEqual([older.jobId]);
    expect(polled.jobs[0]!.type.toLowerCase()).toBe('scan');
    expect((await getSensor(id)).status).toBe('scanning');
    // One job at a time: polling while scanning hands out nothing more.
    expect((await sensor.poll(id)).jobs).toEqual([]);

    expect(await sensor.upload(id, older.jobId, { critical: 1, high: 3 }, 71)).toBe(200);
    expect((await sensor.report(id, older.jobId, 'completed')).status).toBe(200);
    expect((await getSensor(id)).status).toBe('online');
    const job = await getJob(older.jobId);
    expect(job).toMatchObject({ status: 'completed', sensorId: id, results: { scanStatus: 'SUCCESS', vulnerabilityCounts: { critical: 1, high: 3 }, riskScore: 71 } });
    expect(await server.eventTypes(`job-${older.jobId}`)).toEqual(['JobScheduled', 'JobAssigned', 'JobResultsUploaded', 'JobCompleted']);
    expect(await server.eventTypes(`sensor-${id}`)).toEqual(['SensorRegistered', 'SensorBoundToRegistry', 'SensorStartedScanning', 'SensorFinishedScanning']);

    expect((await sensor.poll(id)).jobs.map((j) => j.id)).toEqual([newer.jobId]);
  });

  it('hands a patch job only to a sensor able to patch', async () => {
    const scanner = await sensor.register({ name: 'scan-only', hostname: 'node-1', capabilities: ['scan'] });
    const patcher = await sensor.register({ name: 'patcher', hostname: 'node-2', capabilities: ['scan', 'patch'] });
    for (const sensorId of [scanner, patcher]) await admin.do('mutation', 'sensors.bindRegistry', { sensorId, registryId });
    const patch = await admin.do<{ jobId: string }>('mutation', 'jobs.scanNow', { registryId, imageRef: 'app:1', type: 'patch' });
    expect((await sensor.poll(scanner)).jobs).toEqual([]);
    const polled = await sensor.poll(patcher);
    expect(polled.jobs.map((j) => [j.id, j.type.toLowerCase()])).toEqual([[patch.jobId, 'patch']]);
  });

  it('fails a job at once when its registry is in ERROR, naming the offline sensor', async () => {
    const id = await sensor.register({ name: 'scanner-eu-1', hostname: 'node-7' });
    await admin.do('mutation', 'sensors.bindRegistry', { sensorId: id, registryId });
    await server.advance(OFFLINE_AFTER_MS);
    const scheduled = await admin.do<{ jobId: string; status: string; reason: string }>('mutation', 'jobs.scanNow', { registryId, imageRef: 'app:1' });
    expect(scheduled.status).toBe('failed');
    expect(scheduled.reason).toContain('scanner-eu-1');
    expect(scheduled.reason).toContain('offline');
    expect(await server.eventTypes(`job-${scheduled.jobId}`)).toEqual(['JobScheduled', 'JobFailed']);
  });

  it('fails the running job with "sensor lost connection" when its sensor goes offline, and refuses its late report', async () => {
    const id = await sensor.register({ name: 'scanner', hostname: 'node-1' });
    await admin.do('mutation', 'sensors.bindRegistry', { sensorId: id, registryId });
    const { jobId } = await admin.do<{ jobId: string }>('mutation', 'jobs.scanNow', { registryId, imageRef: 'app:1' });
    expect((await sensor.poll(id)).jobs).toHaveLength(1);
    await server.advance(OFFLINE_AFTER_MS);
    expect(await getJob(jobId)).toMatchObject({ status: 'failed', reason: 'sensor lost connection' });
    const offline = (await server.stream(`sensor-${id}`)).at(-1)!;
    expect(offline).toMatchObject({ type: 'SensorWentOffline', data: { jobId } });

    // It comes back online (not scanning), and its late report changes nothing.
    const late = await sensor.report(id, jobId, 'completed');
    expect(late.status).toBe(409);
    expect((await getSensor(id)).status).toBe('online');
    expect(await server.eventTypes(`job-${jobId}`)).toEqual(['JobScheduled', 'JobAssigned', 'JobFailed']);
  });

  it('answers reports on unknown (404), foreign (403) and finished (409) jobs, and takes an identical repeat', async () => {
    const id = await sensor.register({ name: 'scanner', hostname: 'node-1' });
    await admin.do('mutation', 'sensors.bindRegistry', { sensorId: id, registryId });
    const otherKey = (await admin.do<{ key: string }>('mutation', 'apiKeys.create', { name: 'other fleet' })).key;
    const other = makeClient(server.url, otherKey);
    const otherId = await other.register({ name: 'other', hostname: 'node-9' });
    await admin.do('mutation', 'sensors.bindRegistry', { sensorId: otherId, registryId });
    const { jobId } = await admin.do<{ jobId: string }>('mutation', 'jobs.scanNow', { registryId, imageRef: 'app:1' });
    expect((await sensor.poll(id)).jobs).toHaveLength(1);

    expect((await sensor.report(id, 'no-such-job', 'completed')).status).toBe(404);
    expect((await other.report(otherId, jobId, 'completed')).status).toBe(403);
    expect((await sensor.report(id, jobId, 'failed', 'image pull failed')).status).toBe(200);
    expect((await sensor.report(id, jobId, 'failed', 'image pull failed')).status).toBe(200);
    const conflict = await sensor.report(id, jobId, 'completed');
    expect(conflict.status).toBe(409);
    expect(JSON.stringify(conflict.body)).toContain('already failed');
    expect(await getJob(jobId)).toMatchObject({ status: 'failed', reason: 'image pull failed' });
    expect(await server.eventTypes(`job-${jobId}`)).toEqual(['JobScheduled', 'JobAssigned', 'JobFailed']);
  });

  it('tells the sensor about an operator cancellation on its next poll, and the sensor is online again', async () => {
    const id = await sensor.register({ name: 'scanner', hostname: 'node-1' });
    await admin.do('mutation', 'sensors.bindRegistry', { sensorId: id, registryId });
    const { jobId } = await admin.do<{ jobId: string }>('mutation', 'jobs.scanNow', { registryId, imageRef: 'app:1' });
    await sensor.poll(id);
    await admin.do('mutation', 'jobs.cancel', { jobId });
    expect((await getSensor(id)).status).toBe('online');
    const next = await sensor.poll(id);
    expect(next.cancelJobs).toEqual([jobId]);
    expect((await sensor.report(id, jobId, 'cancelled')).status).toBe(200);
    expect((await sensor.poll(id)).cancelJobs).toEqual([]);
    expect(await server.eventTypes(`job-${jobId}`)).toEqual(['JobScheduled', 'JobAssigned', 'JobCancelled']);
  });

  it('re-creates an unknown or deleted sensor from its next heartbeat', async () => {
    expect(await sensor.heartbeat('sensor-from-an-old-dashboard')).toBe(200);
    expect(await getSensor('sensor-from-an-old-dashboard')).toMatchObject({ status: 'online', name: '' });

    const id = await sensor.register({ name: 'scanner', hostname: 'node-1' });
    await admin.do('mutation', 'sensors.delete', { id });
    expect((await admin.query('sensors.get', { id })).status).toBe(404);
    expect(await sensor.heartbeat(id)).toBe(200);
    expect(await getSensor(id)).toMatchObject({ status: 'online', name: 'scanner', hostname: 'node-1' });
    const registered = (await server.stream(`sensor-${id}`)).filter((e) => e.type === 'SensorRegistered');
    expect(registered.map((e) => (e.data as { autoCreated: boolean }).autoCreated)).toEqual([false, true]);
  });

  it('keeps a sensor whose registry was deleted heartbeating, without jobs, flagged until rebound', async () => {
    const id = await sensor.register({ name: 'scanner', hostname: 'node-1' });
    await admin.do('mutation', 'sensors.bindRegistry', { sensorId: id, registryId });
    await admin.do('mutation', 'jobs.scanNow', { registryId, imageRef: 'app:1' });
    await admin.do('mutation', 'registries.delete', { id: registryId });
    await server.settled();
    expect(await sensor.heartbeat(id)).toBe(200);
    expect((await sensor.poll(id)).jobs).toEqual([]);
    expect(await getSensor(id)).toMatchObject({ status: 'online', registryBindingLost: true });

    const replacement = (await admin.do<{ id: string }>('mutation', 'registries.create', { name: 'harbor-eu-2', url: 'harbor.example/eu2' })).id;
    await admin.do('mutation', 'sensors.bindRegistry', { sensorId: id, registryId: replacement });
    expect(await getSensor(id)).toMatchObject({ registryBindingLost: false, registry: { id: replacement } });
  });
});

describe('registry schedules', () => {
  let server: TestServer;
  afterEach(async () => {
    await server.destroy();
  });

  it('schedules a scan each interval, never two waiting at once, and fails them fast while the registry is in ERROR', async () => {
    server = await TestServer.start();
    const admin = new TrpcHttp(server.url, ADMIN_TOKEN);
    const key = (await admin.do<{ key: string }>('mutation', 'apiKeys.create', { name: 'fleet' })).key;
    const sensor = wireSensor(server.url, key);
    const id = await sensor.register({ name: 'scanner', hostname: 'node-1' });
    const { id: registryId } = await admin.do('mutation', 'registries.create', { name: 'nightly', url: 'harbor.example/nightly', scheduleIntervalMs: 60_000 });
    await admin.do('mutation', 'sensors.bindRegistry', { sensorId: id, registryId });
    const jobs = async () => admin.do<{ source: string; status: string; imageRef: string; reason: string | null }[]>('query', 'jobs.list', { registryId });

    await server.advance(59_999);
    expect(await jobs()).toEqual([]);
    await server.advance(1);
    expect(await jobs()).toMatchObject([{ source: 'schedule', status: 'pending', imageRef: 'harbor.example/nightly' }]);
    await sensor.heartbeat(id);
    await server.advance(60_000);
    expect(await jobs()).toHaveLength(1);

    // The sensor dies: its registry goes to ERROR, the waiting scan fails, and so does the next one, at once.
    await server.advance(60_000);
    expect((await admin.do('query', 'registries.get', { id: registryId })).status).toBe('ERROR');
    expect(await jobs()).toMatchObject([{ source: 'schedule', status: 'failed' }]);
    await server.advance(60_000);
    const afterError = await jobs();
    expect(afterError).toHaveLength(2);
    expect(afterError[0]).toMatchObject({ source: 'schedule', status: 'failed' });
    expect(afterError[0]!.reason).toContain('scanner');
    expect(await server.eventTypes(`job-${(afterError[0] as unknown as { id: string }).id}`)).toEqual(['JobScheduled', 'JobFailed']);

    await admin.do('mutation', 'registries.setSchedule', { id: registryId, scheduleIntervalMs: null });
    const count = (await jobs()).length;
    await server.advance(10 * 60_000);
    expect(await jobs()).toHaveLength(count);
  });
});
