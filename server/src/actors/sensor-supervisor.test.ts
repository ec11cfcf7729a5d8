import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { InMemoryEventStore } from '@harborguard/eventstore';
import { EventWriter } from '../core/event-writer.js';
import { StreamStates } from '../core/stream-states.js';
import { SensorSupervisor } from './sensor-supervisor.js';

const OFFLINE_AFTER_MS = 120_000;
const T0 = Date.parse('2026-11-27T10:00:00Z');

function setUp() {
  const clock = new SimulatedClock();
  clock.set(T0);
  const store = new InMemoryEventStore();
  const states = new StreamStates();
  const writer = new EventWriter(store, states);
  const supervisor = new SensorSupervisor({ writer, states, clock, offlineAfterMs: OFFLINE_AFTER_MS });
  const context = (sensorId: string) => ({ orgId: 'default', actor: { kind: 'sensor' as const, id: sensorId }, at: clock.now() });
  const register = async (sensorId: string) => {
    await writer.append(
      `sensor-${sensorId}`,
      [
        {
          type: 'SensorRegistered',
          data: { sensorId, orgId: 'default', apiKeyId: 'k1', autoCreated: false, name: sensorId, hostname: 'h', version: '', os: '', arch: '', capabilities: [], scannerVersions: {} },
        },
      ],
      context(sensorId),
    );
    supervisor.start(sensorId, 'default', clock.now());
  };
  const wentOffline = async () => (await store.readAll({ maxCount: 1000 })).filter((e) => e.type === 'SensorWentOffline').map((e) => (e.data as { sensorId: string }).sensorId);
  return { clock, supervisor, register, context, wentOffline };
}

describe('sensor supervisor', () => {
  it('runs sensor actors of different parents on one clock: each goes offline at its own deadline', async () => {
    const { clock, supervisor, register, context, wentOffline } = setUp();
    await register('a');
    clock.increment(10_000);
    await register('b');
    clock.increment(OFFLINE_AFTER_MS - 10_000 - 1);
    await supervisor.send('b', { type: 'CONTACT', at: clock.now() }, context('b'));
    clock.increment(1);
    await Promise.resolve();
    expect(supervisor.live('a')?.status).toBe('offline');
    expect(supervisor.live('b')?.status).toBe('online');
    // b's first timer fires at registration + threshold, finds the later contact, and waits for the rest.
    clock.increment(10_000);
    clock.increment(OFFLINE_AFTER_MS - 10_000 - 2);
    expect(supervisor.live('b')?.status).toBe('online');
    clock.increment(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(supervisor.live('b')?.status).toBe('offline');
    expect(await wentOffline()).toEqual(['a', 'b']);
  });

  it('a stopped sensor actor leaves no timer behind: it never goes offline', async () => {
    const { clock, supervisor, register, wentOffline } = setUp();
    await register('a');
    await register('b');
    supervisor.stop('a');
    expect(supervisor.has('a')).toBe(false);
    clock.increment(OFFLINE_AFTER_MS);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await wentOffline()).toEqual(['b']);
  });

  it('stopAll stops every actor and their timers', async () => {
    const { clock, supervisor, register, wentOffline } = setUp();
    await register('a');
    await register('b');
    supervisor.stopAll();
    expect(supervisor.size).toBe(0);
    clock.increment(OFFLINE_AFTER_MS * 2);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await wentOffline()).toEqual([]);
  });
});
