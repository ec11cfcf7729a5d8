import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import type { DomainEvent } from '@harborguard/shared';
import { createSensorMachine, statusOf, type SensorMachineInput } from './sensor-machine.js';

const THRESHOLD = 120_000;
const T0 = Date.parse('2026-11-27T10:00:00.000Z');

function startSensor(overrides: Partial<SensorMachineInput> = {}) {
  const clock = new SimulatedClock();
  clock.set(T0);
  const actor = createActor(createSensorMachine(clock), {
    clock,
    input: { sensorId: 's-1', offlineAfterMs: THRESHOLD, resumeAs: 'online', startedAt: T0, ...overrides },
  });
  const emitted: DomainEvent[] = [];
  /** Contacts kept by the host, as a mailbox keeps heartbeats, handed over only when the machine asks. */
  let kept = Number.NEGATIVE_INFINITY;
  actor.on('*', (event) => {
    if (event.type !== 'LATER_CONTACT_REQUESTED') return void emitted.push(event);
    actor.send(kept > event.since ? { type: 'CONTACT', at: kept } : { type: 'NO_LATER_CONTACT' });
    kept = Number.NEGATIVE_INFINITY;
  });
  const keepContact = () => (kept = clock.now());
  actor.start();
  const status = () => statusOf(actor.getSnapshot().value);
  const contact = (sensorTime?: number) =>
    actor.send({ type: 'CONTACT', at: clock.now(), ...(sensorTime === undefined ? {} : { sensorTime }) });
  return { clock, actor, emitted, status, contact, keepContact };
}

/** Online until exactly one threshold after the last contact (now), then offline with that contact named. */
function expectOfflineOneThresholdAfterNow({ clock, status, emitted }: ReturnType<typeof startSensor>): void {
  const last = clock.now();
  clock.increment(THRESHOLD - 1);
  expect(status()).toBe('online');
  clock.increment(1);
  expect(status()).toBe('offline');
  expect(emitted).toEqual([
    {
      type: 'SensorWentOffline',
      data: { sensorId: 's-1', lastHeartbeatAt: new Date(last).toISOString(), at: new Date(last + THRESHOLD).toISOString(), thresholdMs: THRESHOLD },
    },
  ]);
}

describe('sensor machine', () => {
  it('a new sensor is online', () => {
    const { status, emitted } = startSensor();
    expect(status()).toBe('online');
    expect(emitted).toEqual([]);
  });

  it('goes offline exactly at last contact + threshold, not a millisecond earlier', () => {
    const sensor = startSensor();
    expect(sensor.clock.now()).toBe(T0);
    expectOfflineOneThresholdAfterNow(sensor);
  });

  it('a contact at threshold - 1 ms keeps it online and restarts the full window', () => {
    const { clock, status, contact, emitted } = startSensor();
    clock.increment(THRESHOLD - 1);
    contact();
    clock.increment(THRESHOLD - 1);
    expect(status()).toBe('online');
    clock.increment(1);
    expect(status()).toBe('offline');
    expect(emitted).toHaveLength(1);
    expect(emitted[0]).toMatchObject({
      type: 'SensorWentOffline',
      data: { lastHeartbeatAt: new Date(T0 + THRESHOLD - 1).toISOString(), at: new Date(T0 + 2 * THRESHOLD - 1).toISOString() },
    });
  });

  it('after a long stream of contacts, goes offline exactly one threshold after the last', () => {
    const sensor = startSensor();
    const { clock, contact } = sensor;
    for (let i = 0; i < 300; i++) {
      clock.increment(1_000 + (i % 7) * 13);
      contact();
    }
    expectOfflineOneThresholdAfterNow(sensor);
  });

  it('contacts its host kept and handed over when asked move the deadline exactly as contacts sent at once', () => {
    const sensor = startSensor();
    const { clock, keepContact } = sensor;
    for (let i = 0; i < 10; i++) {
      clock.increment(50_000);
      keepContact();
    }
    expectOfflineOneThresholdAfterNow(sensor);
  });

  it('a contact that changes nothing emits nothing', () => {
    const { clock, contact, emitted } = startSensor();
    for (let i = 0; i < 10; i++) {
      clock.increment(30_000);
      contact();
    }
    expect(emitted).toEqual([]);
  });

  it('online ⇄ scanning follows job start and end, and contact keeps scanning', () => {
    const { clock, actor, status, contact, emitted } = startSensor();
    actor.send({ type: 'JOB_STARTED', jobId: 'j-1', at: clock.now() });
    expect(status()).toBe('scanning');
    clock.increment(30_000);
    contact();
    expect(status()).toBe('scanning');
    actor.send({ type: 'JOB_ENDED', jobId: 'j-other', at: clock.now(), outcome: 'completed' });
    expect(status()).toBe('scanning');
    actor.send({ type: 'JOB_ENDED', jobId: 'j-1', at: clock.now(), outcome: 'completed' });
    expect(status()).toBe('online');
    expect(emitted.map((e) => e.type)).toEqual(['SensorStartedScanning', 'SensorFinishedScanning']);
    expect(emitted[1]).toMatchObject({ data: { jobId: 'j-1', outcome: 'completed' } });
  });

  it('a scanning sensor goes offline with its job and comes back online', () => {
    const { clock, actor, status, contact, emitted } = startSensor();
    actor.send({ type: 'JOB_STARTED', jobId: 'j-1', at: clock.now() });
    clock.increment(THRESHOLD);
    expect(status()).toBe('offline');
    expect(emitted.at(-1)).toMatchObject({ type: 'SensorWentOffline', data: { jobId: 'j-1' } });
    clock.increment(5_000);
    contact();
    expect(status()).toBe('online');
    expect(emitted.at(-1)).toEqual({
      type: 'SensorCameOnline',
      data: { sensorId: 's-1', at: new Date(T0 + THRESHOLD + 5_000).toISOString(), from: 'offline' },
    });
    expect(actor.getSnapshot().context.jobId).toBeNull();
  });

  it('restored actors get a full threshold from boot, however old their last contact', () => {
    // Boot happens at T0; the sensor was last heard from ten thresholds earlier.
    const lastContactAt = T0 - 10 * THRESHOLD;
    const { clock, status, emitted } = startSensor({ startedAt: T0, lastContactAt });
    expect(status()).toBe('online');
    clock.increment(THRESHOLD - 1);
    expect(status()).toBe('online');
    clock.increment(1);
    expect(status()).toBe('offline');
    expect(emitted[0]).toMatchObject({
      data: { lastHeartbeatAt: new Date(lastContactAt).toISOString(), at: new Date(T0 + THRESHOLD).toISOString() },
    });
  });

  it('restores offline and scanning sensors without emitting', () => {
    const offline = startSensor({ resumeAs: 'offline' });
    expect(offline.status()).toBe('offline');
    offline.clock.increment(10 * THRESHOLD);
    expect(offline.emitted).toEqual([]);
    const scanning = startSensor({ resumeAs: 'scanning', jobId: 'j-9' });
    expect(scanning.status()).toBe('scanning');
    expect(scanning.emitted).toEqual([]);
  });

  it('records clock skew beyond 30 s once per change and never changes liveness', () => {
    const { clock, status, contact, emitted } = startSensor();
    contact(clock.now() + 10_000); // within tolerance
    contact(clock.now() - 90_000); // 90 s behind
    contact(clock.now() - 91_000); // same skew, no new event
    contact(clock.now() - 200_000); // moved by more than the tolerance
    contact(clock.now() + 500); // back in sync
    contact(clock.now() + 400);
    expect(emitted.map((e) => (e.type === 'SensorClockSkewObserved' ? e.data.skewMs : e.type))).toEqual([-90_000, -200_000, 500]);
    expect(status()).toBe('online');
    clock.increment(THRESHOLD);
    expect(status()).toBe('offline');
  });
});
