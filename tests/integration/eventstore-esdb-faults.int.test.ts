import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StoreUnavailable, type SubscriptionMessage } from '@harborguard/eventstore';
import { EsdbEventStore, type EsdbConnectOptions } from '../../eventstore/src/esdb/index.js';
import { EventWriter } from '../../server/src/core/event-writer.js';
import { StreamStates } from '../../server/src/core/stream-states.js';
import { StoreAvailability } from '../../server/src/core/store-availability.js';
import { systemClock } from '../../server/src/core/clock.js';
import { startEsdbStandIn } from '../support/esdb-standin/index.js';

/**
 * Appends and subscriptions when the node misbehaves as real nodes do: not ready, busy, the
 * connection lost before or after the write. Only the stand-in can be told to misbehave.
 */
const WAIT = { timeout: 10_000, interval: 5 };
const FAST = { initialDelayMs: 10, maxDelayMs: 50 };

const ev = (n: number) => ({ type: 'TestEvent', data: { n } });
const numbers = (events: { data: unknown }[]) => events.map((e) => (e.data as { n: number }).n);

describe('EsdbEventStore when the node cannot take an append (wire stand-in)', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(options: EsdbConnectOptions = {}) {
    const standIn = await startEsdbStandIn();
    const lines: string[] = [];
    const store = await EsdbEventStore.connect(standIn.connectionString, { retry: FAST, appendRetry: FAST, log: (line) => lines.push(line), ...options });
    cleanups.push(() => standIn.stop(), () => store.close());
    return { standIn, store, lines };
  }

  it('sends appends through BatchAppend, the call a 24.10 node is sent', async () => {
    const { standIn, store } = await setup();
    await store.appendToStream('sensor-1', [ev(1)]);
    await store.appendToStream('sensor-1', [ev(2), ev(3)], { expectedRevision: 0n });
    // The stand-in serves no other append call: these arrived over BatchAppend.
    expect(standIn.appendsReceived()).toBe(2);
    expect(numbers(await store.readStream('sensor-1'))).toEqual([1, 2, 3]);
  });

  it('retries an append the node was not ready for or too busy to take, and stores it once', async () => {
    const { standIn, store, lines } = await setup({ appendRetry: { ...FAST, maxAttempts: 3 } });
    standIn.failAppends('not-ready', 'busy');
    const result = await store.appendToStream('sensor-1', [ev(1)], { expectedRevision: 'no_stream' });
    expect(result.nextExpectedRevision).toBe(0n);
    expect(standIn.appendsReceived()).toBe(3);
    expect(numbers(await store.readStream('sensor-1'))).toEqual([1]);
    const retries = lines.filter((line) => line.includes('did not take the append to "sensor-1"'));
    expect(retries).toHaveLength(2);
    expect(retries[0]).toMatch(/Server Is Not Ready/);
    expect(retries[1]).toMatch(/Server Is Busy/);
  });

  it('reports StoreUnavailable once its retries are spent, having written nothing', async () => {
    const { standIn, store } = await setup({ appendRetry: { ...FAST, maxAttempts: 2 } });
    standIn.failAppends('not-ready', 'not-ready');
    await expect(store.appendToStream('sensor-1', [ev(1)], { expectedRevision: 'no_stream' })).rejects.toBeInstanceOf(StoreUnavailable);
    expect(await store.readStream('sensor-1')).toEqual([]);
    expect(standIn.appendsReceived()).toBe(2);
  });

  it('retries an append whose connection dropped before the write, and stores it once', async () => {
    const { standIn, store } = await setup();
    standIn.failAppends('drop');
    await store.appendToStream('sensor-1', [ev(1), ev(2)], { expectedRevision: 'no_stream' });
    expect(numbers(await store.readStream('sensor-1'))).toEqual([1, 2]);
    expect(standIn.appendsReceived()).toBe(2);
  });

  it('when the reply to a stored append is lost, its retry answers with the original position and stores nothing twice', async () => {
    const { standIn, store } = await setup();
    await store.appendToStream('sensor-1', [ev(0)]);
    // Events without ids, expected revision any: only the adapter's own ids make the retry safe.
    standIn.failAppends('commit-then-drop');
    const result = await store.appendToStream('sensor-1', [ev(1), ev(2)]);
    const stored = await store.readStream('sensor-1');
    expect(numbers(stored)).toEqual([0, 1, 2]);
    expect(result).toEqual({ nextExpectedRevision: 2n, position: stored[2]!.position });
    expect(standIn.appendsReceived()).toBe(3);
  });

  it('a caller retrying after a lost reply, with the same ids and expected revision, gets the original position', async () => {
    const { standIn, store } = await setup({ appendRetry: { ...FAST, maxAttempts: 1 } });
    const events = [{ id: randomUUID(), ...ev(1) }, { id: randomUUID(), ...ev(2) }];
    standIn.failAppends('commit-then-drop');
    await expect(store.appendToStream('sensor-1', events, { expectedRevision: 'no_stream' })).rejects.toBeInstanceOf(StoreUnavailable);
    const stored = await store.readStream('sensor-1');
    expect(numbers(stored)).toEqual([1, 2]);
    expect(await store.appendToStream('sensor-1', events, { expectedRevision: 'no_stream' })).toEqual({ nextExpectedRevision: 1n, position: stored[1]!.position });
    expect(await store.readStream('sensor-1')).toEqual(stored);
  });

  it('the event writer rides out a busy node and a lost reply: the request succeeds and the events are stored once', async () => {
    const { standIn, store } = await setup({ appendRetry: { ...FAST, maxAttempts: 1 } });
    const logged: string[] = [];
    const writer = new EventWriter(store, new StreamStates(), (line: string) => logged.push(line));
    writer.availability = new StoreAvailability({ clock: systemClock, ping: () => store.ping(), log: (line) => logged.push(line), probeInitialMs: 10 });
    const context = { orgId: 'org-1', actor: { kind: 'system' as const, id: 'test' }, at: Date.UTC(2026, 0, 1) };
    standIn.failAppends('busy', 'commit-then-drop');
    const applied = await writer.append('sensor-1', [{ type: 'TestEvent', data: { n: 1 } }] as never, context);
    expect(applied.map((e) => e.revision)).toEqual([0n]);
    const stored = await store.readStream('sensor-1');
    expect(numbers(stored)).toEqual([1]);
    expect(writer.lastPosition).toBe(stored[0]!.position);
    expect(writer.storeHealthy).toBe(true);
    // One outage, told once, however many tries it took.
    expect(logged.filter((line) => line.includes('event store unavailable'))).toHaveLength(1);
    expect(logged.filter((line) => line.includes('event store back'))).toHaveLength(1);
  });
});

describe('EsdbEventStore filtered subscriptions over long skipped stretches (wire stand-in)', () => {
  it('resumes after a drop from the last checkpoint, not the last match, delivering each match once', async () => {
    const standIn = await startEsdbStandIn();
    const lines: string[] = [];
    const store = await EsdbEventStore.connect(standIn.connectionString, { retry: FAST, log: (line) => lines.push(line) });
    const controller = new AbortController();
    try {
      await store.appendToStream('sensor-1', [ev(1)]);
      const [match] = await store.readStream('sensor-1');
      await store.appendToStream('job-1', Array.from({ length: 300 }, (_, n) => ev(n)));
      const skipped = await store.readStream('job-1');

      const messages: SubscriptionMessage[] = [];
      const done = (async () => {
        for await (const message of store.subscribeToAll({ fromPosition: 'start', filter: { streamPrefixes: ['sensor-'] }, signal: controller.signal })) messages.push(message);
      })();
      await vi.waitFor(() => expect(messages.some((m) => m.kind === 'caughtUp')).toBe(true), WAIT);
      standIn.dropSubscriptions();
      await vi.waitFor(() => expect(standIn.subscriptionsStarted()).toBe(2), WAIT);
      const resumedAfter = standIn.subscriptionStarts()[1]!;
      expect(resumedAfter > match!.position).toBe(true);
      expect(resumedAfter >= skipped[300 - 64]!.position).toBe(true);

      await store.appendToStream('job-1', [ev(300)]);
      await store.appendToStream('sensor-2', [ev(2)]);
      await vi.waitFor(() => expect(messages.filter((m) => m.kind === 'event')).toHaveLength(2), WAIT);
      expect(messages.flatMap((m) => (m.kind === 'event' ? [m.event.streamName] : []))).toEqual(['sensor-1', 'sensor-2']);
      controller.abort();
      await done;
    } finally {
      controller.abort();
      await store.close();
      await standIn.stop();
    }
  });
});
