import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, TestServer, simulatedNow } from '../support/test-server.js';
import { TrpcHttp } from '../support/http-clients.js';
import { wireSensor } from '../support/sensor-clients.js';

const JOB_TIMEOUT_MS = 60 * 60 * 1000;
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function setUp(dataDir?: string, clock = simulatedNow()) {
  const server = await TestServer.start({ clock, jobTimeoutMs: JOB_TIMEOUT_MS, ...(dataDir ? { dataDir } : {}) });
  const admin = new TrpcHttp(server.url, ADMIN_TOKEN);
  return { server, admin, clock };
}

describe('jobs that would never end', () => {
  it('a job running past the time limit fails "timed out" and its sensor, still heartbeating, is online again and told to stop it', async () => {
    const { server, admin } = await setUp();
    cleanup.push(() => server.destroy());
    const { key } = await admin.do('mutation', 'apiKeys.create', { name: 'fleet' });
    const registryId = (await admin.do('mutation', 'registries.create', { name: 'harbor', url: 'harbor.example' })).id;
    const sensor = wireSensor(server.url, key);
    const id = await sensor.register({ name: 'stuck', hostname: 'node-1' });
    await admin.do('mutation', 'sensors.bindRegistry', { sensorId: id, registryId });
    const { jobId } = await admin.do('mutation', 'jobs.scanNow', { registryId, imageRef: 'app:1' });
    expect((await sensor.poll(id)).jobs.map((job) => job.id)).toEqual([jobId]);

    for (let minute = 1; minute < 60; minute++) {
      await server.advance(60_000);
      await sensor.heartbeat(id);
    }
    expect((await admin.do('query', 'jobs.get', { id: jobId })).status).toBe('assigned');
    await server.advance(60_000);
    expect(await admin.do('query', 'jobs.get', { id: jobId })).toMatchObject({ status: 'failed', reason: 'timed out' });
    expect((await admin.do('query', 'sensors.get', { id })).sensor.status).toBe('online');
    expect((await sensor.poll(id)).cancelJobs).toEqual([jobId]);
    expect(await server.eventTypes(`sensor-${id}`)).toEqual(['SensorRegistered', 'SensorBoundToRegistry', 'SensorStartedScanning', 'SensorFinishedScanning']);
  });

  it('after a restart the time limit still counts from the assignment', async () => {
    const first = await setUp();
    cleanup.push(() => rmSync(first.server.dataDir, { recursive: true, force: true }));
    const { key } = await first.admin.do('mutation', 'apiKeys.create', { name: 'fleet' });
    const registryId = (await first.admin.do('mutation', 'registries.create', { name: 'harbor', url: 'harbor.example' })).id;
    const sensor = wireSensor(first.server.url, key);
    const id = await sensor.register({ name: 'stuck', hostname: 'node-1' });
    await first.admin.do('mutation', 'sensors.bindRegistry', { sensorId: id, registryId });
    const { jobId } = await first.admin.do('mutation', 'jobs.scanNow', { registryId, imageRef: 'app:1' });
    await sensor.poll(id);
    for (let minute = 0; minute < 30; minute++) {
      await first.server.advance(60_000);
      await sensor.heartbeat(id);
    }
    await first.server.stop();

    const second = await setUp(first.server.dataDir, first.clock);
    cleanup.push(() => second.server.stop());
    const sensor2 = wireSensor(second.server.url, key);
    for (let minute = 0; minute < 29; minute++) {
      await second.server.advance(60_000);
      await sensor2.heartbeat(id);
    }
    await second.server.advance(60_000 - 1);
    expect((await second.admin.do('query', 'jobs.get', { id: jobId })).status).toBe('assigned');
    await second.server.advance(1);
    expect(await second.admin.do('query', 'jobs.get', { id: jobId })).toMatchObject({ status: 'failed', reason: 'timed out' });
    expect((await second.admin.do('query', 'sensors.get', { id })).sensor.status).toBe('online');
  });

  it('a job no sensor can ever take fails at once, saying why', async () => {
    const { server, admin } = await setUp();
    cleanup.push(() => server.destroy());
    const { key } = await admin.do('mutation', 'apiKeys.create', { name: 'fleet' });
    const registryId = (await admin.do('mutation', 'registries.create', { name: 'harbor', url: 'harbor.example' })).id;

    const unbound = await admin.do('mutation', 'jobs.scanNow', { registryId, imageRef: 'app:1' });
    expect(unbound).toMatchObject({ status: 'failed', reason: 'No sensor is bound to registry "harbor"' });

    const sensor = wireSensor(server.url, key);
    const scanner = await sensor.register({ name: 'scan-only', hostname: 'node-1', capabilities: ['scan'] });
    await admin.do('mutation', 'sensors.bindRegistry', { sensorId: scanner, registryId });
    const patch = await admin.do('mutation', 'jobs.scanNow', { registryId, imageRef: 'app:1', type: 'patch' });
    expect(patch).toMatchObject({ status: 'failed', reason: 'No sensor bound to registry "harbor" can run patch jobs' });

    // A waiting scan fails as soon as the registry's last sensor able to run it is deleted.
    const waiting = await admin.do('mutation', 'jobs.scanNow', { registryId, imageRef: 'app:2' });
    expect(waiting.status).toBe('pending');
    await admin.do('mutation', 'sensors.delete', { id: scanner });
    await server.settled();
    expect(await admin.do('query', 'jobs.get', { id: waiting.jobId })).toMatchObject({ status: 'failed', reason: 'No sensor is bound to registry "harbor"' });
  });
});
