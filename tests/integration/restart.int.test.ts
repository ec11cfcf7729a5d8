import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteEventStore, type RecordedEvent } from '@harborguard/eventstore';
import { ADMIN_TOKEN, OFFLINE_AFTER_MS, TestServer, simulatedNow } from '../support/test-server.js';
import { TrpcHttp } from '../support/http-clients.js';
import { wireSensor } from '../support/sensor-clients.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

describe('restart', () => {
  it('rebuilds every sensor in its stored state and gives connected ones a full threshold from boot', async () => {
    const clock = simulatedNow();
    const first = await TestServer.start({ clock });
    cleanup.push(() => rmSync(first.dataDir, { recursive: true, force: true }));
    const admin = new TrpcHttp(first.url, ADMIN_TOKEN);
    const { key } = await admin.do('mutation', 'apiKeys.create', { name: 'fleet' });
    const registryId = (await admin.do('mutation', 'registries.create', { name: 'r', url: 'u' })).id;
    const sensor = wireSensor(first.url, key);
    const idle = await sensor.register({ name: 'idle', hostname: 'h1' });
    const busy = await sensor.register({ name: 'busy', hostname: 'h2' });
    await admin.do('mutation', 'sensors.bindRegistry', { sensorId: busy, registryId });
    await admin.do('mutation', 'jobs.scanNow', { registryId, imageRef: 'app:1' });
    expect((await sensor.poll(busy)).jobs).toHaveLength(1);
    await first.advance(OFFLINE_AFTER_MS / 2);
    const dead = await sensor.register({ name: 'dead', hostname: 'h3' });
    await sensor.heartbeat(busy);
    await first.advance(OFFLINE_AFTER_MS / 2);
    const lastContactOfIdle = clock.now() - OFFLINE_AFTER_MS;
    expect((await admin.do('query', 'sensors.get', { id: idle })).sensor.status).toBe('offline');
    // Revive idle just before the restart; busy keeps scanning; 'dead' stays connected but silent.
    await sensor.heartbeat(idle);
    await sensor.heartbeat(busy);
    const contactBeforeRestart = clock.now();
    await first.stop();
    const storedBefore = await readLog(first.dataDir);

    // The service is down for ten thresholds: longer than any sensor's window.
    clock.increment(10 * OFFLINE_AFTER_MS);
    const second = await TestServer.start({ clock, dataDir: first.dataDir });
    cleanup.push(() => second.stop());
    const admin2 = new TrpcHttp(second.url, ADMIN_TOKEN);
    const status = async (id: string) => (await admin2.do('query', 'sensors.get', { id })).sensor.status;
    expect(await status(idle)).toBe('online');
    expect(await status(busy)).toBe('scanning');
    expect(await status(dead)).toBe('online');
    await second.settled();
    // No false-offline storm: nothing was written by the restart itself.
    expect((await readLogFrom(second)).length).toBe(storedBefore.length);

    await second.advance(OFFLINE_AFTER_MS - 1);
    expect([await status(idle), await status(busy), await status(dead)]).toEqual(['online', 'scanning', 'online']);
    await wireSensor(second.url, key).heartbeat(idle);
    await second.advance(1);
    expect([await status(idle), await status(busy), await status(dead)]).toEqual(['online', 'offline', 'offline']);
    const offline = (await second.stream(`sensor-${dead}`)).at(-1)!;
    expect(offline.type).toBe('SensorWentOffline');
    // The event still tells when the sensor was last heard from, before the restart.
    expect(Date.parse((offline.data as { lastHeartbeatAt: string }).lastHeartbeatAt)).toBeLessThan(contactBeforeRestart);
    expect(lastContactOfIdle).toBeLessThan(contactBeforeRestart);
  });

  it('survives kill -9: the log is intact, acknowledged transitions are all there, none is repeated', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hg-kill-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const env = { HARBORGUARD_DATA_DIR: dataDir, HARBORGUARD_ADMIN_TOKEN: ADMIN_TOKEN };
    let server: ServerProcess = await startServerProcess(env);
    cleanup.push(() => server.stop());

    let admin = new TrpcHttp(server.url, ADMIN_TOKEN);
    const { key } = await admin.do('mutation', 'apiKeys.create', { name: 'fleet' });
    const registryId = (await admin.do('mutation', 'registries.create', { name: 'r', url: 'u' })).id;
    let sensor = wireSensor(server.url, key);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await sensor.register({ name: `s-${i}`, hostname: `h-${i}` }));
    for (const sensorId of ids.slice(0, 5)) await admin.do('mutation', 'sensors.bindRegistry', { sensorId, registryId });
    const jobs: string[] = [];
    for (let i = 0; i < 3; i++) jobs.push((await admin.do('mutation', 'jobs.scanNow', { registryId, imageRef: `app:${i}` })).jobId);
    for (const sensorId of ids.slice(0, 3)) expect((await sensor.poll(sensorId)).jobs).toHaveLength(1);
    await server.kill9();

    const afterKill = await readLog(dataDir);
    // Every acknowledged event is in the log, in order.
    for (const id of ids) expect(afterKill.some((e) => e.streamName === `sensor-${id}` && e.type === 'SensorRegistered')).toBe(true);
    expect(afterKill.filter((e) => e.type === 'SensorStartedScanning')).toHaveLength(3);
    expect(afterKill.map((e) => e.position)).toEqual([...afterKill.map((e) => e.position)].sort((a, b) => (a < b ? -1 : 1)));

    server = await startServerProcess(env);
    admin = new TrpcHttp(server.url, ADMIN_TOKEN);
    sensor = wireSensor(server.url, key);
    for (const [index, id] of ids.entries()) {
      expect((await admin.do('query', 'sensors.get', { id })).sensor.status).toBe(index < 3 ? 'scanning' : 'online');
    }
    expect(await sensor.register({ name: 's-0', hostname: 'h-0' })).toBe(ids[0]);
    expect((await sensor.report(ids[0]!, jobs[0]!, 'completed')).status).toBe(200);
    await server.stop();

    const afterRestart = await readLog(dataDir);
    expect(afterRestart.slice(0, afterKill.length)).toEqual(afterKill);
    const added = afterRestart.slice(afterKill.length).filter((e) => e.type !== 'SensorContactsCheckpointed').map((e) => e.type);
    // Only what happened after the restart: the completion of one job. No transition repeated.
    expect(added).toEqual(['JobCompleted', 'SensorFinishedScanning']);
  });
});

async function readLog(dataDir: string): Promise<RecordedEvent[]> {
  const store = SqliteEventStore.open(join(dataDir, 'events.sqlite'));
  try {
    return await store.readAll({ maxCount: 100_000 });
  } finally {
    await store.close();
  }
}

async function readLogFrom(server: TestServer): Promise<RecordedEvent[]> {
  return server.store.readAll({ maxCount: 100_000 });
}
