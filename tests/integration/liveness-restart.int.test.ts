import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { ADMIN_TOKEN, OFFLINE_AFTER_MS, TestServer, simulatedNow } from '../support/test-server.js';
import { TrpcHttp } from '../support/http-clients.js';
import { wireSensor } from '../support/sensor-clients.js';

const CHECKPOINT_MS = 15_000;
/** Sensors calling more often than checkpoints are taken: a lost last contact is one heartbeat late at most. */
const HEARTBEAT_MS = 10_000;
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

/** A clock that goes on from where another stopped: the crashed service's timers stay behind on the old one. */
function clockAfter(previous: SimulatedClock, downMs: number): SimulatedClock {
  const clock = new SimulatedClock();
  clock.set(previous.now() + downMs);
  return clock;
}

/** A service with an API key and a sensor client; its data directory is removed after the test. */
async function firstRun() {
  const clock = simulatedNow();
  const first = await TestServer.start({ clock, contactCheckpointMs: CHECKPOINT_MS });
  cleanup.push(() => rmSync(first.dataDir, { recursive: true, force: true }));
  const admin = new TrpcHttp(first.url, ADMIN_TOKEN);
  const { key } = await admin.do('mutation', 'apiKeys.create', { name: 'fleet' });
  return { clock, first, admin, sensor: wireSensor(first.url, key) };
}

describe('last contact across restarts', () => {
  it('after a crash, rows and the offline event carry the last contact checkpointed before it: one heartbeat early here, within one interval, and no one goes offline before boot + threshold', async () => {
    const { clock, first, sensor } = await firstRun();
    const steady = await sensor.register({ name: 'steady', hostname: 'h1' });
    const dying = await sensor.register({ name: 'dying', hostname: 'h2' });
    // Both heartbeat every 10 s for an hour: nothing but checkpoints is stored for it.
    let truth = 0;
    for (let i = 0; i < 360; i++) {
      await first.advance(HEARTBEAT_MS);
      await sensor.heartbeat(steady);
      await sensor.heartbeat(dying);
      truth = clock.now();
    }
    // The last heartbeat lands just after a checkpoint; the process dies just before the next one.
    await first.advance(CHECKPOINT_MS - 1);
    await first.crash();

    const clock2 = clockAfter(clock, 5 * 60_000);
    const bootAt = clock2.now();
    const second = await TestServer.start({ clock: clock2, dataDir: first.dataDir, contactCheckpointMs: CHECKPOINT_MS });
    cleanup.push(() => second.stop());
    const admin2 = new TrpcHttp(second.url, ADMIN_TOKEN);
    const row = async (id: string) => (await admin2.do('query', 'sensors.get', { id })).sensor;
    const reported = Date.parse((await row(dying)).lastHeartbeatAt);
    expect(truth - reported).toBeGreaterThanOrEqual(0);
    expect(truth - reported).toBeLessThanOrEqual(CHECKPOINT_MS);

    // The restart grace holds: nobody goes offline before boot + threshold.
    await second.advance(OFFLINE_AFTER_MS - 1);
    const justBefore = (await row(dying)).status;
    await second.advance(1);
    expect([justBefore, (await row(dying)).status]).toEqual(['online', 'offline']);
    const [offline] = (await second.stream(`sensor-${dying}`)).filter((event) => event.type === 'SensorWentOffline');
    const lastHeartbeatAt = Date.parse((offline!.data as { lastHeartbeatAt: string }).lastHeartbeatAt);
    expect(truth - lastHeartbeatAt).toBeLessThanOrEqual(CHECKPOINT_MS);
    expect(lastHeartbeatAt).toBeLessThanOrEqual(truth);
    expect(Date.parse((offline!.data as { at: string }).at)).toBe(bootAt + OFFLINE_AFTER_MS);
  });

  it('stores one checkpoint per org per interval, only for sensors that called, and the audit log hides them unless asked', async () => {
    const { first: server, admin, sensor } = await firstRun();
    cleanup.push(() => server.stop());
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await sensor.register({ name: `s-${i}`, hostname: `h-${i}` }));
    await server.advance(CHECKPOINT_MS);
    for (let beat = 0; beat < 5; beat++) for (const id of ids.slice(0, 2)) await sensor.heartbeat(id);
    await server.advance(CHECKPOINT_MS);
    // Quiet intervals store nothing.
    await server.advance(5 * CHECKPOINT_MS);

    const checkpoints = (await server.store.readAll({ maxCount: 10_000 })).filter((e) => e.type === 'SensorContactsCheckpointed');
    const afterHeartbeats = checkpoints.at(-1)!;
    expect(Object.keys((afterHeartbeats.data as { contacts: object }).contacts).sort()).toEqual(ids.slice(0, 2).sort());
    expect(afterHeartbeats.metadata['actor']).toEqual({ kind: 'system', id: 'contact-checkpoint' });
    expect(checkpoints.length).toBeLessThanOrEqual(2);

    const types = async (input: object) => ((await admin.do('query', 'audit.events', input)).events as { type: string }[]).map((e) => e.type);
    expect(await types({})).not.toContain('SensorContactsCheckpointed');
    expect(await types({ includeCheckpoints: true })).toContain('SensorContactsCheckpointed');
  });

  it('a clean shutdown stores the last contacts: after it the rows show the exact last heartbeat', async () => {
    const { clock, first, sensor } = await firstRun();
    const id = await sensor.register({ name: 'steady', hostname: 'h1' });
    await first.advance(CHECKPOINT_MS + 7_000);
    await sensor.heartbeat(id);
    const truth = clock.now();
    await first.stop();
    clock.increment(60_000);
    const second = await TestServer.start({ clock, dataDir: first.dataDir, contactCheckpointMs: CHECKPOINT_MS });
    cleanup.push(() => second.stop());
    const row = (await new TrpcHttp(second.url, ADMIN_TOKEN).do('query', 'sensors.get', { id })).sensor;
    expect(row.lastHeartbeatAt).toBe(new Date(truth).toISOString());
  });
});
