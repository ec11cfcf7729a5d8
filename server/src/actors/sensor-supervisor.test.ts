import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SimulatedClock } from 'xstate';
import { InMemoryEventStore } from '@harborguard/eventstore';
import { EventWriter } from '../core/event-writer.js';
import { StreamStates } from '../core/stream-states.js';
import { SensorSupervisor } from './sensor-supervisor.js';

const OFFLINE_AFTER_MS = 120_000;
const T0 = Date.parse('2026-11-27T10:00:00Z');

function setUp(sensorsPerParent?: number) {
  const clock = new SimulatedClock();
  clock.set(T0);
  const store = new InMemoryEventStore();
  const states = new StreamStates();
  const writer = new EventWriter(store, states);
  const supervisor = new SensorSupervisor({ writer, states, clock, offlineAfterMs: OFFLINE_AFTER_MS, sensorsPerParent });
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
  return { clock, supervisor, register, context, wentOffline, states, writer, store };
}

describe('sensor supervisor', () => {
  it('runs sensor actors of different parents on one clock: each goes offline at its own deadline', async () => {
    const { clock, supervisor, register, context, wentOffline } = setUp(1);
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

  it('notes every contact for the next checkpoint, by org, and hands each out once', async () => {
    const { clock, supervisor, register, context } = setUp();
    await register('a');
    await register('b');
    clock.increment(1_000);
    supervisor.quietContact(supervisor.mailboxOf('a')!, clock.now());
    await supervisor.send('b', { type: 'CONTACT', at: clock.now() }, context('b'));
    clock.increment(1_000);
    supervisor.quietContact(supervisor.mailboxOf('a')!, clock.now());
    expect(supervisor.takeContacts()).toEqual(new Map([['default', new Map([['a', T0 + 2_000], ['b', T0 + 1_000]])]]));
    expect(supervisor.takeContacts().size).toBe(0);
  });

  it('a contact handed back by a failed checkpoint goes with the next one, unless the sensor has called since', async () => {
    const { clock, supervisor, register } = setUp();
    await register('a');
    supervisor.restoreContacts(new Map([['default', new Map([['a', T0 - 5_000], ['gone', T0 - 1_000]])]]));
    clock.increment(1_000);
    supervisor.quietContact(supervisor.mailboxOf('a')!, clock.now());
    expect(supervisor.takeContacts()).toEqual(new Map([['default', new Map([['a', T0 + 1_000], ['gone', T0 - 1_000]])]]));
  });

  it("a sensor's mailbox holds the sensor as the write model has it after each change", async () => {
    const { supervisor, register, writer, context } = setUp();
    await register('a');
    expect(supervisor.mailboxOf('a')?.sensor?.apiKeyId).toBe('k1');
    await writer.append('sensor-a', [{ type: 'SensorApiKeyChanged', data: { sensorId: 'a', apiKeyId: 'k2', previousApiKeyId: 'k1' } }], context('a'));
    expect(supervisor.mailboxOf('a')?.sensor?.apiKeyId).toBe('k2');
  });

  it('the status a heartbeat reads from a mailbox is the one its actor reached, whatever contacts, jobs and time passing came before', async () => {
    type Step = { kind: 'contact' | 'quiet' } | { kind: 'start' | 'end'; job: string } | { kind: 'wait'; ms: number } | { kind: 'restart' };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.constantFrom<Step>({ kind: 'contact' }, { kind: 'quiet' }, { kind: 'restart' }),
      fc.record({ kind: fc.constantFrom('start' as const, 'end' as const), job: fc.constantFrom('j1', 'j2') }),
      fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 1_000, max: 2 * OFFLINE_AFTER_MS }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 25 }), async (steps) => {
        const setup = setUp();
        const { clock, register, context, states, writer } = setup;
        let supervisor = setup.supervisor;
        await register('a');
        for (const s of steps) {
          const at = clock.now();
          if (s.kind === 'contact') await supervisor.send('a', { type: 'CONTACT', at }, context('a'));
          else if (s.kind === 'quiet') {
            // As a heartbeat does: quietly when connected, else through the actor.
            if (supervisor.quietContact(supervisor.mailboxOf('a')!, at) === undefined) await supervisor.send('a', { type: 'CONTACT', at }, context('a'));
          } else if (s.kind === 'start') await supervisor.send('a', { type: 'JOB_STARTED', jobId: s.job, at }, context('a'));
          else if (s.kind === 'end') await supervisor.send('a', { type: 'JOB_ENDED', jobId: s.job, at, outcome: 'completed' }, context('a'));
          else if (s.kind === 'wait') clock.increment(s.ms);
          else {
            supervisor.stopAll();
            supervisor = new SensorSupervisor({ writer, states, clock, offlineAfterMs: OFFLINE_AFTER_MS });
            supervisor.restoreAll(clock.now());
          }
          await new Promise((resolve) => setImmediate(resolve));
          // Once its events are stored, the write model has the status the actor's transitions reached.
          expect(supervisor.status('a')).toBe(states.state('sensor', 'a')?.status);
        }
        supervisor.stopAll();
      }),
      { numRuns: 150 },
    );
  });

  it('restored after a restart, a sensor keeps its checkpointed last contact and still gets a full threshold from boot', async () => {
    const { clock, supervisor, register, context, states, writer, store } = setUp();
    await register('a');
    // The service stops: its actors and their timers go with it.
    supervisor.stopAll();
    const checkpointedAt = T0 + 60_000;
    await writer.append('contacts-default', [{ type: 'SensorContactsCheckpointed', data: { orgId: 'default', contacts: { a: new Date(checkpointedAt).toISOString() } } }], context('a'));
    clock.increment(10 * OFFLINE_AFTER_MS);
    const bootAt = clock.now();
    const restarted = new SensorSupervisor({ writer, states, clock, offlineAfterMs: OFFLINE_AFTER_MS });
    restarted.restoreAll(bootAt);
    expect(restarted.live('a')?.lastContactAt).toBe(checkpointedAt);
    clock.increment(OFFLINE_AFTER_MS);
    await new Promise((resolve) => setImmediate(resolve));
    const offline = (await store.readAll({ maxCount: 1000 })).filter((e) => e.type === 'SensorWentOffline');
    expect(offline.map((e) => e.data)).toEqual([{ sensorId: 'a', lastHeartbeatAt: new Date(checkpointedAt).toISOString(), at: new Date(bootAt + OFFLINE_AFTER_MS).toISOString(), thresholdMs: OFFLINE_AFTER_MS }]);
  });

  it('an offline sensor\'s actor rests until its next contact wakes it, with the last contact and clock skew it had', async () => {
    const { clock, supervisor, register, context, store } = setUp();
    await register('a');
    await register('b');
    // a's clock runs 5 minutes ahead: recorded once.
    await supervisor.send('a', { type: 'CONTACT', at: clock.now(), sensorTime: clock.now() + 300_000 }, context('a'));
    const lastContact = clock.now();
    expect(supervisor.awake).toBe(2);
    clock.increment(OFFLINE_AFTER_MS);
    await new Promise((resolve) => setImmediate(resolve));
    expect(supervisor.awake).toBe(0);
    expect(supervisor.live('a')).toEqual({ status: 'offline', lastContactAt: lastContact, jobId: null });
    // A job change an offline sensor's machine ignores leaves it at rest.
    await supervisor.send('a', { type: 'JOB_ENDED', jobId: 'j', at: clock.now(), outcome: 'succeeded' }, context('a'));
    expect(supervisor.awake).toBe(0);
    clock.increment(5_000);
    const back = await supervisor.send('a', { type: 'CONTACT', at: clock.now(), sensorTime: clock.now() + 300_000 }, context('a'));
    // Back online; the skew is the one already recorded, so it is not recorded again.
    expect(back.map((e) => e.type)).toEqual(['SensorCameOnline']);
    expect(supervisor.awake).toBe(1);
    expect(supervisor.live('a')?.status).toBe('online');
    // Woken, it keeps time as before: offline again one threshold after the contact.
    clock.increment(OFFLINE_AFTER_MS);
    await new Promise((resolve) => setImmediate(resolve));
    const types = (await store.readAll({ maxCount: 1000 })).filter((e) => e.streamName === 'sensor-a').map((e) => e.type);
    expect(types).toEqual(['SensorRegistered', 'SensorClockSkewObserved', 'SensorWentOffline', 'SensorCameOnline', 'SensorWentOffline']);
    expect(supervisor.awake).toBe(0);
  });

  it('restores offline sensors at rest and connected ones awake', async () => {
    const { clock, supervisor, register, context, states, writer } = setUp();
    await register('a');
    await register('b');
    clock.increment(OFFLINE_AFTER_MS / 2);
    await supervisor.send('b', { type: 'CONTACT', at: clock.now() }, context('b'));
    clock.increment(OFFLINE_AFTER_MS / 2);
    await new Promise((resolve) => setImmediate(resolve));
    supervisor.stopAll();
    const restarted = new SensorSupervisor({ writer, states, clock, offlineAfterMs: OFFLINE_AFTER_MS });
    restarted.restoreAll(clock.now());
    expect([restarted.size, restarted.awake]).toEqual([2, 1]);
    expect(restarted.live('a')).toEqual({ status: 'offline', lastContactAt: T0, jobId: null });
    expect(restarted.live('b')?.status).toBe('online');
  });
});
