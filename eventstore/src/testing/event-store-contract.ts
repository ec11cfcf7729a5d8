import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WrongExpectedVersion } from '../errors.js';
import type { EventStore, EventToAppend, ExpectedRevision, RecordedEvent, SubscribeToAllOptions, SubscriptionMessage } from '../port.js';

export interface EventStoreHarness {
  store: EventStore;
  /** Opens a new store over the same storage, simulating a restart. The suite closes the previous store first. */
  reopen?: () => Promise<EventStore>;
  /** Closes whatever store is open (closing twice must be harmless) and removes the storage. */
  cleanup(): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const WAIT = { timeout: 10_000, interval: 2 };

/**
 * The behaviour every EventStore adapter must share. Each test works in streams under its own random
 * prefix and only asserts on those, so the suite also runs against a shared, non-empty store.
 */
export function describeEventStoreContract(adapterName: string, harness: () => Promise<EventStoreHarness>): void {
  // Longer than the condition waits below, so a missed event fails with its assertion, not a timeout.
  describe(`EventStore contract: ${adapterName}`, { timeout: 20_000 }, () => {
    let h: EventStoreHarness;
    let store: EventStore;
    /** Stream-name prefix unique to the running test. */
    let ns: string;
    let aborts: AbortController[];

    beforeEach(async () => {
      h = await harness();
      store = h.store;
      ns = `c${randomUUID().replaceAll('-', '').slice(0, 12)}-`;
      aborts = [];
    });

    afterEach(async () => {
      for (const controller of aborts) controller.abort();
      await h.cleanup();
    });

    const ev = (n: number, type = 'TestEvent'): EventToAppend => ({ type, data: { n }, metadata: { seq: n } });
    const ours = (events: RecordedEvent[]) => events.filter((e) => e.streamName.startsWith(ns));
    const dataN = (events: RecordedEvent[]) => events.map((e) => (e.data as { n: number }).n);

    async function headPosition(): Promise<bigint | null> {
      const [last] = await store.readAll({ direction: 'backwards', maxCount: 1 });
      return last?.position ?? null;
    }

    async function readOurs(): Promise<RecordedEvent[]> {
      return store.readAll({ filter: { streamPrefixes: [ns] }, maxCount: 100_000 });
    }

    async function expectWrongVersion(append: Promise<unknown>, streamName: string, expected: ExpectedRevision, actual: bigint | 'no_stream') {
      const error = await append.then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(WrongExpectedVersion);
      const wrong = error as WrongExpectedVersion;
      expect(wrong.streamName).toBe(streamName);
      expect(wrong.expected).toBe(expected);
      expect(wrong.actual).toBe(actual);
    }

    /** Runs a subscription in the background, recording every message. */
    function follow(options: Omit<SubscribeToAllOptions, 'signal'> = {}, onMessage?: (m: SubscriptionMessage, controller: AbortController) => void) {
      const controller = new AbortController();
      aborts.push(controller);
      const messages: SubscriptionMessage[] = [];
      const state = { ended: false, error: undefined as unknown };
      const done = (async () => {
        try {
          for await (const message of store.subscribeToAll({ ...options, signal: controller.signal })) {
            messages.push(message);
            onMessage?.(message, controller);
          }
        } catch (error) {
          state.error = error;
        } finally {
          state.ended = true;
        }
      })();
      const events = () => messages.flatMap((m) => (m.kind === 'event' ? [m.event] : []));
      const caughtUps = () => messages.filter((m) => m.kind === 'caughtUp');
      return { controller, messages, state, done, events, caughtUps };
    }

    describe('appendToStream', () => {
      it('creates a stream with no_stream and reports the last revision and position', async () => {
        const result = await store.appendToStream(`${ns}a`, [ev(1), ev(2)], { expectedRevision: 'no_stream' });
        expect(result.nextExpectedRevision).toBe(1n);
        const events = await store.readStream(`${ns}a`);
        expect(events.map((e) => e.revision)).toEqual([0n, 1n]);
        expect(result.position).toBe(events[1]!.position);
      });

      it('rejects no_stream when the stream exists, writing nothing', async () => {
        await store.appendToStream(`${ns}a`, [ev(1)]);
        await expectWrongVersion(store.appendToStream(`${ns}a`, [ev(2)], { expectedRevision: 'no_stream' }), `${ns}a`, 'no_stream', 0n);
        expect(dataN(await store.readStream(`${ns}a`))).toEqual([1]);
      });

      it('appends with stream_exists to an existing stream', async () => {
        await store.appendToStream(`${ns}a`, [ev(1)]);
        const result = await store.appendToStream(`${ns}a`, [ev(2)], { expectedRevision: 'stream_exists' });
        expect(result.nextExpectedRevision).toBe(1n);
      });

      it('rejects stream_exists on a missing stream with actual no_stream, writing nothing', async () => {
        await expectWrongVersion(store.appendToStream(`${ns}a`, [ev(1)], { expectedRevision: 'stream_exists' }), `${ns}a`, 'stream_exists', 'no_stream');
        expect(await store.readStream(`${ns}a`)).toEqual([]);
        expect(await readOurs()).toEqual([]);
      });

      it('appends with any (the default) whether or not the stream exists', async () => {
        expect((await store.appendToStream(`${ns}a`, [ev(1)], { expectedRevision: 'any' })).nextExpectedRevision).toBe(0n);
        expect((await store.appendToStream(`${ns}a`, [ev(2)], { expectedRevision: 'any' })).nextExpectedRevision).toBe(1n);
        expect((await store.appendToStream(`${ns}a`, [ev(3)])).nextExpectedRevision).toBe(2n);
        expect((await store.appendToStream(`${ns}b`, [ev(4)])).nextExpectedRevision).toBe(0n);
        expect(dataN(await store.readStream(`${ns}a`))).toEqual([1, 2, 3]);
      });

      it('appends with the exact current revision', async () => {
        const first = await store.appendToStream(`${ns}a`, [ev(1), ev(2)]);
        const second = await store.appendToStream(`${ns}a`, [ev(3)], { expectedRevision: first.nextExpectedRevision });
        expect(second.nextExpectedRevision).toBe(2n);
        const third = await store.appendToStream(`${ns}a`, [ev(4), ev(5)], { expectedRevision: 2n });
        expect(third.nextExpectedRevision).toBe(4n);
        expect(dataN(await store.readStream(`${ns}a`))).toEqual([1, 2, 3, 4, 5]);
      });

      it('rejects a stale or future exact revision with the actual revision, writing nothing', async () => {
        await store.appendToStream(`${ns}a`, [ev(1), ev(2), ev(3)]);
        await expectWrongVersion(store.appendToStream(`${ns}a`, [ev(4)], { expectedRevision: 1n }), `${ns}a`, 1n, 2n);
        await expectWrongVersion(store.appendToStream(`${ns}a`, [ev(4), ev(5)], { expectedRevision: 5n }), `${ns}a`, 5n, 2n);
        expect(dataN(await store.readStream(`${ns}a`))).toEqual([1, 2, 3]);
        expect(await readOurs()).toHaveLength(3);
      });

      it('rejects an exact revision on a missing stream with actual no_stream', async () => {
        await expectWrongVersion(store.appendToStream(`${ns}a`, [ev(1)], { expectedRevision: 0n }), `${ns}a`, 0n, 'no_stream');
        expect(await store.readStream(`${ns}a`)).toEqual([]);
      });

      it('writes a multi-event append atomically: concurrent appends at the same revision, one wins whole', async () => {
        await store.appendToStream(`${ns}a`, [ev(0)]);
        const batch = (base: number) => [ev(base + 1), ev(base + 2), ev(base + 3)];
        const results = await Promise.allSettled([
          store.appendToStream(`${ns}a`, batch(10), { expectedRevision: 0n }),
          store.appendToStream(`${ns}a`, batch(20), { expectedRevision: 0n }),
        ]);
        const fulfilled = results.filter((r) => r.status === 'fulfilled');
        const rejected = results.filter((r) => r.status === 'rejected');
        expect(fulfilled).toHaveLength(1);
        expect(rejected).toHaveLength(1);
        expect((rejected[0] as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedVersion);
        const winner = results[0]!.status === 'fulfilled' ? 10 : 20;
        const events = await store.readStream(`${ns}a`);
        expect(dataN(events)).toEqual([0, winner + 1, winner + 2, winner + 3]);
        expect(events.map((e) => e.revision)).toEqual([0n, 1n, 2n, 3n]);
        const positions = events.map((e) => e.position);
        for (let i = 1; i < positions.length; i++) expect(positions[i]! > positions[i - 1]!).toBe(true);
      });

      it('writes nothing when one event of a batch cannot be serialised', async () => {
        const bad: EventToAppend = { type: 'TestEvent', data: { n: 2n } };
        await expect(store.appendToStream(`${ns}a`, [ev(1), bad, ev(3)])).rejects.toBeInstanceOf(Error);
        expect(await store.readStream(`${ns}a`)).toEqual([]);
        expect(await readOurs()).toEqual([]);
        expect((await store.appendToStream(`${ns}a`, [ev(4)], { expectedRevision: 'no_stream' })).nextExpectedRevision).toBe(0n);
      });
    });

    describe('recorded events', () => {
      it('records id, stream, revision, position, type, data, metadata and a recordedAt near now', async () => {
        const id = randomUUID();
        const data = { sensorId: 's-1', nested: { list: [1, 'two', null, true], text: 'Grüße 🚢' }, ratio: 0.25 };
        const before = Date.now();
        const result = await store.appendToStream(`${ns}a`, [
          { id, type: 'SensorThing', data, metadata: { orgId: 'org-1', actor: { kind: 'system' } } },
          { type: 'OtherThing', data: { n: 2 } },
        ]);
        const after = Date.now();
        const [first, second] = await store.readStream(`${ns}a`);
        expect(first).toMatchObject({ id, streamName: `${ns}a`, revision: 0n, type: 'SensorThing', data, metadata: { orgId: 'org-1', actor: { kind: 'system' } } });
        expect(second).toMatchObject({ streamName: `${ns}a`, revision: 1n, type: 'OtherThing', data: { n: 2 }, metadata: {} });
        expect(second!.id).toMatch(UUID);
        expect(second!.id).not.toBe(id);
        expect(second!.position).toBe(result.position);
        expect(first!.position < second!.position).toBe(true);
        for (const event of [first!, second!]) {
          expect(event.recordedAt).toBeInstanceOf(Date);
          expect(event.recordedAt.getTime()).toBeGreaterThanOrEqual(before - 5_000);
          expect(event.recordedAt.getTime()).toBeLessThanOrEqual(after + 5_000);
        }
        const [fromAll] = await store.readAll({ fromPosition: first!.position, maxCount: 1 });
        expect(fromAll).toEqual(first);
      });

      it('generates a different UUID for every event without an id', async () => {
        await store.appendToStream(`${ns}a`, [ev(1), ev(2), ev(3)]);
        const ids = (await store.readStream(`${ns}a`)).map((e) => e.id);
        expect(ids.every((i) => UUID.test(i))).toBe(true);
        expect(new Set(ids).size).toBe(3);
      });
    });

    describe('readStream', () => {
      beforeEach(async () => {
        await store.appendToStream(`${ns}s-1`, [ev(0), ev(1), ev(2)]);
        await store.appendToStream(`${ns}s-10`, [ev(100)]);
        await store.appendToStream(`${ns}s-1`, [ev(3), ev(4)]);
      });

      it('reads one stream forwards, without events of other streams', async () => {
        const events = await store.readStream(`${ns}s-1`);
        expect(dataN(events)).toEqual([0, 1, 2, 3, 4]);
        expect(events.map((e) => e.revision)).toEqual([0n, 1n, 2n, 3n, 4n]);
        expect(events.every((e) => e.streamName === `${ns}s-1`)).toBe(true);
      });

      it('reads backwards from the end', async () => {
        expect(dataN(await store.readStream(`${ns}s-1`, { direction: 'backwards' }))).toEqual([4, 3, 2, 1, 0]);
      });

      it('reads forwards and backwards from a revision, inclusive', async () => {
        expect(dataN(await store.readStream(`${ns}s-1`, { fromRevision: 2n }))).toEqual([2, 3, 4]);
        expect(dataN(await store.readStream(`${ns}s-1`, { direction: 'backwards', fromRevision: 2n }))).toEqual([2, 1, 0]);
      });

      it('limits the count in both directions', async () => {
        expect(dataN(await store.readStream(`${ns}s-1`, { maxCount: 2 }))).toEqual([0, 1]);
        expect(dataN(await store.readStream(`${ns}s-1`, { fromRevision: 1n, maxCount: 3 }))).toEqual([1, 2, 3]);
        expect(dataN(await store.readStream(`${ns}s-1`, { direction: 'backwards', maxCount: 2 }))).toEqual([4, 3]);
      });

      it('reads a missing stream as empty, in both directions', async () => {
        expect(await store.readStream(`${ns}missing`)).toEqual([]);
        expect(await store.readStream(`${ns}missing`, { direction: 'backwards' })).toEqual([]);
      });
    });

    describe('readAll', () => {
      /** Interleaves appends over three streams; returns the events in append order. */
      async function appendAcrossStreams(count: number): Promise<RecordedEvent[]> {
        for (let n = 0; n < count; n++) await store.appendToStream(`${ns}s-${n % 3}`, [ev(n)]);
        const events = await readOurs();
        expect(dataN(events)).toEqual(Array.from({ length: count }, (_, n) => n));
        return events;
      }

      it('assigns unique positions, strictly increasing in append order across streams', async () => {
        const results = [];
        for (let n = 0; n < 9; n++) results.push(await store.appendToStream(`${ns}s-${n % 3}`, [ev(n)]));
        const events = await readOurs();
        expect(dataN(events)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
        expect(events.map((e) => e.position)).toEqual(results.map((r) => r.position));
        for (let i = 1; i < events.length; i++) expect(events[i]!.position > events[i - 1]!.position).toBe(true);
        expect(events.map((e) => e.streamName)).toEqual(events.map((_, n) => `${ns}s-${n % 3}`));
      });

      it('reads forwards and backwards from a position, inclusive', async () => {
        const events = await appendAcrossStreams(6);
        const at = events[2]!;
        const forwards = await store.readAll({ fromPosition: at.position, maxCount: 2 });
        expect(forwards[0]).toEqual(at);
        expect(dataN(ours(await store.readAll({ fromPosition: at.position, filter: { streamPrefixes: [ns] } })))).toEqual([2, 3, 4, 5]);
        const backwards = await store.readAll({ direction: 'backwards', fromPosition: at.position, filter: { streamPrefixes: [ns] } });
        expect(dataN(backwards)).toEqual([2, 1, 0]);
      });

      it('reads backwards from the end, newest first', async () => {
        await appendAcrossStreams(5);
        const latest = await store.readAll({ direction: 'backwards', maxCount: 5 });
        expect(dataN(ours(latest))).toEqual([4, 3, 2, 1, 0]);
        expect(await store.readAll({ fromPosition: 'end' })).toEqual([]);
      });

      it('reads nothing forwards from a position past the last event', async () => {
        await store.appendToStream(`${ns}s-1`, [ev(0)]);
        const head = (await headPosition())!;
        // A paging cursor ahead of the log (another store's, or made up) finds no events.
        expect(await store.readAll({ fromPosition: head + 10_000_000n })).toEqual([]);
      });

      it('pages forwards and backwards with maxCount, visiting every event exactly once', async () => {
        const events = await appendAcrossStreams(25);
        const filter = { streamPrefixes: [ns] };
        for (const direction of ['forwards', 'backwards'] as const) {
          const seen: RecordedEvent[] = [];
          let from: bigint | 'start' | 'end' = direction === 'forwards' ? 'start' : 'end';
          for (let page = 0; page < 20; page++) {
            // fromPosition is inclusive: continue from the last event seen and drop it.
            const batch = await store.readAll({ direction, fromPosition: from, maxCount: 4, filter });
            const fresh = page === 0 ? batch : batch.slice(1);
            expect(batch.length).toBeLessThanOrEqual(4);
            if (fresh.length === 0) break;
            seen.push(...fresh);
            from = batch[batch.length - 1]!.position;
          }
          const expected = direction === 'forwards' ? events : [...events].reverse();
          expect(seen.map((e) => e.id)).toEqual(expected.map((e) => e.id));
        }
      });

      it('returns at most 1000 events by default', async () => {
        const first = await store.appendToStream(`${ns}big`, Array.from({ length: 1005 }, (_, n) => ev(n)));
        expect(first.nextExpectedRevision).toBe(1004n);
        const page = await store.readAll({ filter: { streamPrefixes: [ns] } });
        expect(page).toHaveLength(1000);
        expect(dataN(page.slice(0, 3))).toEqual([0, 1, 2]);
      });

      it('filters by stream prefix (a prefix, not a substring)', async () => {
        await store.appendToStream(`${ns}order-1`, [ev(1)]);
        await store.appendToStream(`${ns}sensor-1`, [ev(2)]);
        await store.appendToStream(`x${ns}order-3`, [ev(3)]);
        await store.appendToStream(`${ns}order-2`, [ev(4)]);
        await store.appendToStream(`${ns}audit-1`, [ev(5)]);
        const orders = await store.readAll({ filter: { streamPrefixes: [`${ns}order-`] } });
        expect(orders.map((e) => e.streamName)).toEqual([`${ns}order-1`, `${ns}order-2`]);
        const two = await store.readAll({ direction: 'backwards', filter: { streamPrefixes: [`${ns}order-`, `${ns}audit-`] } });
        expect(dataN(two)).toEqual([5, 4, 1]);
      });

      it('filters by event type', async () => {
        const [a, b, c] = [`Alpha${ns}`, `Beta${ns}`, `Gamma${ns}`];
        await store.appendToStream(`${ns}s-1`, [ev(1, a), ev(2, b), ev(3, c)]);
        await store.appendToStream(`${ns}s-2`, [ev(4, b), ev(5, a)]);
        expect(dataN(await store.readAll({ filter: { eventTypes: [a] } }))).toEqual([1, 5]);
        expect(dataN(await store.readAll({ filter: { eventTypes: [b, c] } }))).toEqual([2, 3, 4]);
        expect(dataN(await store.readAll({ filter: { eventTypes: [a] }, maxCount: 1 }))).toEqual([1]);
      });
    });

    describe('readAllRaw', () => {
      it('reads the same pages as readAll, payloads as the JSON text they were appended as', async () => {
        const payload = { b: [1, 'é\n', null], a: { z: 0.1, '10': true }, n: -3e-7 };
        const appended = [ev(1), { type: 'Nested', data: payload, metadata: { seq: 2, chain: { v: 2, prev: null } } }, ev(3)];
        await store.appendToStream(`${ns}a`, appended.slice(0, 2));
        await store.appendToStream(`${ns}b`, appended.slice(2));
        const pages = [
          { filter: { streamPrefixes: [ns] } },
          { filter: { streamPrefixes: [`${ns}a`] }, maxCount: 1 },
          { direction: 'backwards' as const, filter: { streamPrefixes: [ns] }, maxCount: 2 },
          { filter: { streamPrefixes: [ns], eventTypes: ['Nested'] } },
        ];
        for (const options of pages) {
          const [parsed, raw] = [await store.readAll(options), (await store.readAllRaw?.(options)) ?? []];
          expect(raw.map((event) => ({ ...event, data: JSON.parse(event.data), metadata: JSON.parse(event.metadata), recordedAt: new Date(event.recordedAt) }))).toEqual(parsed);
        }
        const raw = (await store.readAllRaw?.({ filter: { streamPrefixes: [ns] } })) ?? [];
        expect(raw.map((event) => [event.data, event.metadata])).toEqual(appended.map((event) => [JSON.stringify(event.data), JSON.stringify(event.metadata)]));
      });
    });

    describe('subscribeToAll', () => {
      it('from start: delivers existing events, reports caughtUp once, then follows live', async () => {
        await store.appendToStream(`${ns}s-1`, [ev(0), ev(1)]);
        await store.appendToStream(`${ns}s-2`, [ev(2)]);
        const sub = follow({ fromPosition: 'start' });
        await vi.waitFor(() => expect(sub.caughtUps()).toHaveLength(1), WAIT);
        const beforeLive = sub.events();
        expect(dataN(ours(beforeLive))).toEqual([0, 1, 2]);
        const caughtUp = sub.caughtUps()[0] as { kind: 'caughtUp'; position: bigint | null };
        expect(typeof caughtUp.position).toBe('bigint');
        expect(caughtUp.position! >= ours(beforeLive)[2]!.position).toBe(true);

        await store.appendToStream(`${ns}s-1`, [ev(3)]);
        await store.appendToStream(`${ns}s-3`, [ev(4), ev(5)]);
        await vi.waitFor(() => expect(ours(sub.events())).toHaveLength(6), WAIT);
        expect(dataN(ours(sub.events()))).toEqual([0, 1, 2, 3, 4, 5]);
        expect(sub.caughtUps()).toHaveLength(1);
        // The caughtUp message comes after every event committed before the subscription caught up.
        const index = sub.messages.findIndex((m) => m.kind === 'caughtUp');
        expect(sub.messages.slice(index + 1).every((m) => m.kind === 'event')).toBe(true);
        expect(sub.state.error).toBeUndefined();
      });

      it('from a checkpoint: starts after it (exclusive)', async () => {
        await store.appendToStream(`${ns}s-1`, [ev(0), ev(1), ev(2), ev(3)]);
        const events = await readOurs();
        const sub = follow({ fromPosition: events[1]!.position });
        await vi.waitFor(() => expect(sub.caughtUps()).toHaveLength(1), WAIT);
        expect(sub.events()[0]).toEqual(events[2]);
        expect(dataN(ours(sub.events()))).toEqual([2, 3]);
        const caughtUp = sub.caughtUps()[0] as { kind: 'caughtUp'; position: bigint | null };
        expect(caughtUp.position! >= events[3]!.position).toBe(true);
      });

      it('from the last position: catches up at once with nothing, then follows live', async () => {
        await store.appendToStream(`${ns}s-1`, [ev(0)]);
        const head = (await headPosition())!;
        const sub = follow({ fromPosition: head });
        await vi.waitFor(() => expect(sub.caughtUps()).toHaveLength(1), WAIT);
        expect(ours(sub.events())).toEqual([]);
        await store.appendToStream(`${ns}s-1`, [ev(1)]);
        await vi.waitFor(() => expect(ours(sub.events())).toHaveLength(1), WAIT);
        expect(dataN(ours(sub.events()))).toEqual([1]);
      });

      it('hands over from catch-up to live under concurrent appends with no loss and no duplicates', async () => {
        const checkpoint = await headPosition();
        const from = checkpoint ?? 'start';
        const expectedIds: string[] = [];
        const appendNext = async (n: number) => {
          const size = n % 5 === 0 ? 3 : 1;
          const batch = Array.from({ length: size }, (_, i) => ({ id: randomUUID(), type: 'TestEvent', data: { n: n + i } }));
          expectedIds.push(...batch.map((e) => e.id));
          await store.appendToStream(`${ns}s-${n % 4}`, batch);
          return n + size;
        };
        let n = 0;
        while (n < 60) n = await appendNext(n);

        // The writer keeps appending while subscriptions start at different moments of its run.
        let midway!: () => void;
        const reachedMidway = new Promise<void>((resolve) => (midway = resolve));
        const writer = (async () => {
          while (n < 600) {
            n = await appendNext(n);
            if (n >= 300) midway();
            // Now and then let other tasks run, so subscribers also go idle and wake mid-stream.
            if (n % 7 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
          }
        })();
        const early = follow({ fromPosition: from });
        const filtered = follow({ fromPosition: 'start', filter: { streamPrefixes: [ns] } });
        await reachedMidway;
        const late = follow({ fromPosition: from });
        await writer;
        const total = expectedIds.length;
        for (const sub of [early, filtered, late]) {
          await vi.waitFor(() => expect(ours(sub.events()).length).toBeGreaterThanOrEqual(total), WAIT);
          const mine = ours(sub.events());
          expect(mine.map((e) => e.id)).toEqual(expectedIds);
          for (let i = 1; i < mine.length; i++) expect(mine[i]!.position > mine[i - 1]!.position).toBe(true);
          expect(sub.caughtUps()).toHaveLength(1);
        }
        expect(filtered.events()).toHaveLength(total);
        // Still live afterwards.
        await store.appendToStream(`${ns}s-0`, [ev(10_000)]);
        await vi.waitFor(() => expect(ours(late.events())).toHaveLength(total + 1), WAIT);
      });

      it('delivers only events matching a stream-prefix filter, in catch-up and live', async () => {
        await store.appendToStream(`${ns}sensor-1`, [ev(1)]);
        await store.appendToStream(`${ns}job-1`, [ev(2)]);
        const sub = follow({ fromPosition: 'start', filter: { streamPrefixes: [`${ns}sensor-`] } });
        await vi.waitFor(() => expect(sub.caughtUps()).toHaveLength(1), WAIT);
        await store.appendToStream(`${ns}job-2`, [ev(3)]);
        await store.appendToStream(`${ns}sensor-2`, [ev(4)]);
        await vi.waitFor(() => expect(sub.events()).toHaveLength(2), WAIT);
        expect(sub.events().map((e) => e.streamName)).toEqual([`${ns}sensor-1`, `${ns}sensor-2`]);
      });

      it('delivers only events matching an event-type filter, in catch-up and live', async () => {
        const [a, b] = [`Alpha${ns}`, `Beta${ns}`];
        await store.appendToStream(`${ns}s-1`, [ev(1, a), ev(2, b)]);
        const sub = follow({ fromPosition: 'start', filter: { eventTypes: [b] } });
        await vi.waitFor(() => expect(sub.caughtUps()).toHaveLength(1), WAIT);
        await store.appendToStream(`${ns}s-2`, [ev(3, b), ev(4, a)]);
        await vi.waitFor(() => expect(sub.events()).toHaveLength(2), WAIT);
        expect(dataN(sub.events())).toEqual([2, 3]);
        expect(sub.events().every((e) => e.type === b)).toBe(true);
      });

      it('ends the iteration when the signal aborts while waiting for live events', async () => {
        await store.appendToStream(`${ns}s-1`, [ev(0)]);
        const sub = follow({ fromPosition: (await headPosition())! });
        await vi.waitFor(() => expect(sub.caughtUps()).toHaveLength(1), WAIT);
        sub.controller.abort();
        await vi.waitFor(() => expect(sub.state.ended).toBe(true), WAIT);
        expect(sub.state.error).toBeUndefined();
        const delivered = sub.messages.length;
        await store.appendToStream(`${ns}s-1`, [ev(1)]);
        expect(sub.messages).toHaveLength(delivered);
      });

      it('delivers nothing more once aborted during catch-up', async () => {
        const checkpoint = await headPosition();
        await store.appendToStream(`${ns}s-1`, Array.from({ length: 50 }, (_, n) => ev(n)));
        let seen = 0;
        const sub = follow({ fromPosition: checkpoint ?? 'start', filter: { streamPrefixes: [ns] } }, (message, controller) => {
          if (message.kind === 'event' && ++seen === 3) controller.abort();
        });
        await vi.waitFor(() => expect(sub.state.ended).toBe(true), WAIT);
        expect(dataN(sub.events())).toEqual([0, 1, 2]);
        expect(sub.state.error).toBeUndefined();
      });

      it('ends at once when the signal is already aborted', async () => {
        await store.appendToStream(`${ns}s-1`, [ev(0)]);
        const controller = new AbortController();
        controller.abort();
        const messages: SubscriptionMessage[] = [];
        for await (const message of store.subscribeToAll({ fromPosition: 'start', signal: controller.signal })) messages.push(message);
        expect(messages).toEqual([]);
      });

      it('stops when the consumer breaks out of the loop, leaving the store usable', async () => {
        await store.appendToStream(`${ns}s-1`, [ev(0), ev(1), ev(2)]);
        const seen: RecordedEvent[] = [];
        for await (const message of store.subscribeToAll({ fromPosition: 'start', filter: { streamPrefixes: [ns] } })) {
          if (message.kind === 'event') seen.push(message.event);
          if (seen.length === 2) break;
        }
        expect(dataN(seen)).toEqual([0, 1]);
        expect((await store.appendToStream(`${ns}s-1`, [ev(3)], { expectedRevision: 2n })).nextExpectedRevision).toBe(3n);
      });
    });

    describe('durability across close and reopen', () => {
      it('reads back everything and continues revisions and positions', async (ctx) => {
        if (!h.reopen) return ctx.skip('the harness cannot reopen this store');
        await store.appendToStream(`${ns}s-1`, [ev(0), ev(1)]);
        await store.appendToStream(`${ns}s-2`, [{ ...ev(2), metadata: { orgId: 'o', nested: { a: [1] } } }]);
        const last = await store.appendToStream(`${ns}s-1`, [ev(3)], { expectedRevision: 1n });
        const before = await readOurs();
        const streamBefore = await store.readStream(`${ns}s-1`);
        await store.close();

        store = await h.reopen();
        expect(await readOurs()).toEqual(before);
        expect(await store.readStream(`${ns}s-1`)).toEqual(streamBefore);
        await expectWrongVersion(store.appendToStream(`${ns}s-1`, [ev(9)], { expectedRevision: 'no_stream' }), `${ns}s-1`, 'no_stream', 2n);
        const next = await store.appendToStream(`${ns}s-1`, [ev(4)], { expectedRevision: last.nextExpectedRevision });
        expect(next.nextExpectedRevision).toBe(3n);
        expect(next.position > last.position).toBe(true);
        const other = await store.appendToStream(`${ns}s-3`, [ev(5)]);
        expect(other.position > next.position).toBe(true);

        const sub = follow({ fromPosition: before[3]!.position });
        await vi.waitFor(() => expect(sub.caughtUps()).toHaveLength(1), WAIT);
        expect(dataN(ours(sub.events()))).toEqual([4, 5]);
      });
    });
  });
}
