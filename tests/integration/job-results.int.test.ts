import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, TestServer } from '../support/test-server.js';
import { TrpcHttp } from '../support/http-clients.js';
import { trpcSensor, wireSensor, type SensorClient } from '../support/sensor-clients.js';

/** Scan results are taken only from the sensor running the job, while it runs, once. */
describe.each([
  ['tRPC', trpcSensor],
  ['wire', wireSensor],
] as const)('job results through %s', (_kind, makeClient) => {
  let server: TestServer;
  let admin: TrpcHttp;
  let runner: SensorClient;
  let other: SensorClient;
  let runnerId: string;
  let otherId: string;
  let registryId: string;
  let jobId: string;
  const counts = { critical: 1, high: 3 };

  beforeEach(async () => {
    server = await TestServer.start();
    admin = new TrpcHttp(server.url, ADMIN_TOKEN);
    const keyOf = async (name: string) => (await admin.do<{ key: string }>('mutation', 'apiKeys.create', { name })).key;
    runner = makeClient(server.url, await keyOf('runner'));
    other = makeClient(server.url, await keyOf('other'));
    registryId = (await admin.do<{ id: string }>('mutation', 'registries.create', { name: 'harbor', url: 'harbor.example' })).id;
    runnerId = await runner.register({ name: 'runner', hostname: 'node-1' });
    otherId = await other.register({ name: 'other', hostname: 'node-2' });
    await admin.do('mutation', 'sensors.bindRegistry', { sensorId: runnerId, registryId });
    jobId = (await admin.do<{ jobId: string }>('mutation', 'jobs.scanNow', { registryId, imageRef: 'app:1' })).jobId;
    expect((await runner.poll(runnerId)).jobs.map((job) => job.id)).toEqual([jobId]);
  });

  afterEach(() => server.destroy());

  const results = async () => (await admin.do<{ results: unknown }>('query', 'jobs.get', { id: jobId })).results;

  it('refuses results from a sensor of another key for a job it does not run (403), and stores nothing', async () => {
    expect(await other.upload(otherId, jobId, counts, 9)).toBe(403);
    expect(await results()).toBeNull();
  });

  it('refuses results for a job still waiting for a sensor (403)', async () => {
    const otherRegistry = (await admin.do<{ id: string }>('mutation', 'registries.create', { name: 'empty', url: 'empty.example' })).id;
    const waiting = (await admin.do<{ jobId: string }>('mutation', 'jobs.scanNow', { registryId: otherRegistry, imageRef: 'app:2' })).jobId;
    expect(await runner.upload(runnerId, waiting, counts, 9)).toBe(403);
  });

  it('answers an identical repeat as before, and refuses different results (409)', async () => {
    expect(await runner.upload(runnerId, jobId, counts, 9)).toBe(200);
    expect(await runner.upload(runnerId, jobId, counts, 9)).toBe(200);
    expect(await runner.upload(runnerId, jobId, { critical: 0 }, 1)).toBe(409);
    expect(await results()).toMatchObject({ vulnerabilityCounts: counts, riskScore: 9 });
  });

  it('refuses results for a job that already ended (409)', async () => {
    expect((await runner.report(runnerId, jobId, 'completed')).status).toBe(200);
    expect(await runner.upload(runnerId, jobId, counts, 9)).toBe(409);
  });

  it('refuses negative or fractional counts with a 400 naming the field', async () => {
    expect(await runner.upload(runnerId, jobId, { critical: -1 }, 9)).toBe(400);
    expect(await runner.upload(runnerId, jobId, { high: 1.5 }, 9)).toBe(400);
    expect(await results()).toBeNull();
  });

  it('answers "not found" for a job that does not exist (404)', async () => {
    expect(await runner.upload(runnerId, 'no-such-job', counts, 9)).toBe(404);
  });
});
