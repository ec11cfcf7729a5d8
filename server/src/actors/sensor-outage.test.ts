import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { InMemoryEventStore, StoreUnavailable } from '@harborguard/eventstore';
import { RefusingStore } from '@harborguard/eventstore/testing';
import { EventWriter } from '../core/event-writer.js';
import { StreamStates } from '../core/stream-states.js';
import { StoreAvailability, StoreUnavailableError } from '../core/store-availability.js';
import { SensorSupervisor } from './sensor-supervisor.js';

const OFFLINE_AFTER_MS = 120_000;
const T0 = Date.parse('2026-11-27T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const diskFull = () => new StoreUnavailable('Event store file events.sqlite is unavailable while appending: database or disk is full [SQLITE_FULL]');

function setUp(backlogLimit?: number) {
  const clock = new SimulatedClock();
  clock.set(T0);
  const store = new RefusingStore(new InMemoryEventStore());
  const states = new StreamStates();
  const writer = new EventWriter(store, states);
  writer.availability = new StoreAvailability({ clock, ping: () => store.ping(), probeInitialMs: 1_000, probeMaxMs: 8_000, ...(backlogLimit === undefined ? {} : { backlogLimit }) });
  const supervisor = new SensorSupervisor({ writer, states, clock, offlineAfterMs: OFFLINE_AFTER_MS });
  const context = (sensorId: string) => ({ orgId: 'default', actor: { kind: 'sensor' as const, id: sensorId }, at: clock.now() });
  const registered = (sensorId: string) => [
    {
      type: 'SensorRegistered' as const,
      data: { sensorId, orgId: 'default', apiKeyId: 'k1', autoCreated: false, name: sensorId, hostname: 'h', version: '', os: '', arch: '', capabilities: [], scannerVersions: {} },
    },
  ];
  const register = async (sensorId: string) => {
    await writer.decideAndAppend(`sensor-${sensorId}`, () => registered(sensorId), context(sensorId));
    supervisor.start(sensorId, 'default', clock.now());
  };
  const events = async (type: string) => (await store.readAll({ maxCount: 1000 })).filter((e) => e.type === type);
  /** Lets the writer and the probe run what the last clock step started. */
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  return { clock, store, writer, supervisor, context, registered, register, events, turn };
}

describe('sensors while the event store is away', () => {
  it('refuses requests with 503, keeps timer transitions, and stores them once, in order, with their own times when the store is back', async () => {
    const { clock, store, writer, supervisor, context, registered, register, events, turn } = setUp();
    await register('a');
    await register('b');
    await register('c');
    store.refuseWrites(diskFull);
    store.unreachable = true;

    const refused = writer.decideAndAppend('sensor-d', () => registered('d'), context('d'));
    await expect(refused).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(refused).rejects.toMatchObject({ status: 503, retryAfterSeconds: 1 });
    expect(writer.availability.describe()).toBe(`unavailable since ${iso(T0)}: ${diskFull().message}`);

    clock.increment(60_000);
    // A connected sensor's heartbeat needs no append: answered while the store is away.
    expect(writer.availability.available).toBe(false);
    await expect(supervisor.send('c', { type: 'CONTACT', at: clock.now() }, context('c'))).resolves.toEqual([]);
    clock.increment(OFFLINE_AFTER_MS - 60_000);
    await turn();
    expect(supervisor.status('a')).toBe('offline');
    expect(supervisor.status('b')).toBe('offline');
    expect(supervisor.status('c')).toBe('online');
    expect(writer.availability.backlog).toBe(2);
    // An offline sensor coming back would be a transition that cannot be stored: refused before the machine moves.
    await expect(supervisor.send('a', { type: 'CONTACT', at: clock.now() }, context('a'))).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(supervisor.status('a')).toBe('offline');

    expect(writer.availability.describe()).toMatch(/^unavailable since 2026-11-27T10:00:00.000Z/);

    // The probe finds the store answering again; one kept write tests it, and it still refuses (a full disk).
    store.unreachable = false;
    const refusedBefore = store.refusedAppends;
    clock.increment(8_000);
    await turn();
    await turn();
    expect(store.refusedAppends - refusedBefore).toBe(1);
    expect(writer.availability.available).toBe(false);
    expect(writer.availability.backlog).toBe(2);

    store.takeWrites();
    const recoveredAt = clock.now() + 8_000;
    clock.increment(8_000);
    await writer.settled();
    expect(writer.availability.available).toBe(true);
    expect(writer.availability.backlog).toBe(0);
    const offline = await events('SensorWentOffline');
    expect(offline.map((e) => (e.data as { sensorId: string }).sensorId).sort()).toEqual(['a', 'b']);
    const deadline = iso(T0 + OFFLINE_AFTER_MS);
    for (const event of offline) {
      expect((event.data as { at: string }).at).toBe(deadline);
      expect(event.metadata['occurredAt']).toBe(deadline);
      expect(event.revision).toBe(1n);
    }
    expect(clock.now()).toBe(recoveredAt);
    expect(await events('SensorRegistered')).toHaveLength(3);
    await register('d');
    expect(await events('SensorRegistered')).toHaveLength(4);
  });

  it('answers a request whose append meets the outage with 503 at once, and stores the transition its sensor made when the store is back', async () => {
    const { clock, store, writer, supervisor, context, register, events, turn } = setUp();
    await register('a');
    clock.increment(OFFLINE_AFTER_MS);
    await writer.settled();
    expect(supervisor.status('a')).toBe('offline');

    store.refuseWrites(diskFull);
    const cameBackAt = clock.now() + 5_000;
    clock.increment(5_000);
    await expect(supervisor.send('a', { type: 'CONTACT', at: clock.now() }, context('a'))).rejects.toMatchObject({ status: 503 });
    expect(await events('SensorCameOnline')).toEqual([]);

    store.takeWrites();
    clock.increment(1_000);
    await turn();
    await writer.settled();
    const [online, ...more] = await events('SensorCameOnline');
    expect(more).toEqual([]);
    expect(online!.metadata['occurredAt']).toBe(iso(cameBackAt));
    expect(online!.revision).toBe(2n);
  });

  it('says when more events wait than their limit, and still drops none', async () => {
    const { clock, store, writer, register, events, turn } = setUp(1);
    for (const id of ['a', 'b', 'c']) await register(id);
    store.refuseWrites(diskFull);
    store.unreachable = true;
    clock.increment(OFFLINE_AFTER_MS);
    await turn();
    expect(writer.availability.backlog).toBe(3);
    expect(writer.availability.backlogOverLimit).toBe(true);
    // Unreachable: the probe's ping fails, so no write is tried.
    const refusedBefore = store.refusedAppends;
    clock.increment(30_000);
    await turn();
    expect(store.refusedAppends).toBe(refusedBefore);

    store.takeWrites();
    clock.increment(30_000);
    await turn();
    await writer.settled();
    expect(writer.availability.backlogOverLimit).toBe(false);
    expect(await events('SensorWentOffline')).toHaveLength(3);
  });
});
