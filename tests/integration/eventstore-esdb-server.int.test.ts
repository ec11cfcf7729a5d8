import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppendTooLarge, InvalidPosition, SubscriptionFailed, WrongExpectedVersion, type SubscriptionMessage } from '@harborguard/eventstore';
import { EsdbEventStore } from '../../eventstore/src/esdb/index.js';
import { esdbTargets, namespace } from '../support/esdb-targets.js';

/**
 * How EventStoreDB 24.10 answers what the adapter relies on: repeated appends, the append size
 * limit, positions where no event starts, filter checkpoints. Runs against the stand-in and, with
 * EVENTSTORE_URL set, against the real server too.
 */
const WAIT = { timeout: 10_000, interval: 5 };
const FAST_RETRY = { initialDelayMs: 20, maxDelayMs: 100 };
const MiB = 1024 * 1024;

for (const target of esdbTargets()) {
  describe(`EventStoreDB server behaviour (${target.name})`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    async function setup() {
      const server = await target.open();
      const lines: string[] = [];
      const store = await EsdbEventStore.connect(server.connectionString, { retry: FAST_RETRY, log: (line) => lines.push(line) });
      cleanups.push(() => server.stop(), () => store.close());
      return { store, lines, ns: namespace() };
    }

    const ev = (n: number, type = 'TestEvent') => ({ id: randomUUID(), type, data: { n } });

    it('takes the same events again with the same expected revision as success, at their original place', async () => {
      const { store, ns } = await setup();
      const first = [ev(1), ev(2)];
      const created = await store.appendToStream(`${ns}s`, first, { expectedRevision: 'no_stream' });
      expect(await store.appendToStream(`${ns}s`, first, { expectedRevision: 'no_stream' })).toEqual(created);

      const next = [ev(3)];
      const appended = await store.appendToStream(`${ns}s`, next, { expectedRevision: 1n });
      await store.appendToStream(`${ns}s`, [ev(4)], { expectedRevision: 2n });
      // Still the original answer once the stream has moved on.
      expect(await store.appendToStream(`${ns}s`, next, { expectedRevision: 1n })).toEqual(appended);
      const stored = await store.readStream(`${ns}s`);
      expect(stored.map((e) => (e.data as { n: number }).n)).toEqual([1, 2, 3, 4]);
      expect(stored[2]!.position).toBe(appended.position);
    });

    it('does not store events twice when they are appended again with expected revision any', async () => {
      const { store, ns } = await setup();
      const events = [ev(1), ev(2)];
      const first = await store.appendToStream(`${ns}s`, events);
      expect(await store.appendToStream(`${ns}s`, events)).toEqual(first);
      expect(await store.readStream(`${ns}s`)).toHaveLength(2);
    });

    it('refuses an append that repeats only some of the stored events', async () => {
      const { store, ns } = await setup();
      const [a, b] = [ev(1), ev(2)];
      await store.appendToStream(`${ns}s`, [a, b], { expectedRevision: 'no_stream' });
      await expect(store.appendToStream(`${ns}s`, [a, ev(3)], { expectedRevision: 'no_stream' })).rejects.toBeInstanceOf(WrongExpectedVersion);
      await expect(store.appendToStream(`${ns}s`, [ev(4)], { expectedRevision: 'no_stream' })).rejects.toBeInstanceOf(WrongExpectedVersion);
      expect(await store.readStream(`${ns}s`)).toHaveLength(2);
    });

    it('refuses an append larger than 1 MiB with AppendTooLarge, writing nothing', async () => {
      const { store, ns } = await setup();
      const big = { type: 'Blob', data: { blob: 'x'.repeat(MiB + 1024) } };
      const error = await store.appendToStream(`${ns}s`, [big]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppendTooLarge);
      expect(error).toMatchObject({ streamName: `${ns}s`, maxAppendSize: MiB });
      // Over the limit together, each one under it.
      const parts = Array.from({ length: 3 }, () => ({ type: 'Blob', data: { blob: 'y'.repeat(400 * 1024) } }));
      await expect(store.appendToStream(`${ns}s`, parts)).rejects.toBeInstanceOf(AppendTooLarge);
      expect(await store.readStream(`${ns}s`)).toEqual([]);
      await store.appendToStream(`${ns}s`, parts.slice(0, 2));
      expect(await store.readStream(`${ns}s`)).toHaveLength(2);
    });

    it('refuses to read $all from a position where no event starts, and reads nothing past the end', async () => {
      const { store, ns } = await setup();
      await store.appendToStream(`${ns}s`, [ev(1), ev(2)]);
      const [first] = await store.readStream(`${ns}s`);
      const inside = first!.position + 1n;
      for (const direction of ['forwards', 'backwards'] as const) {
        const error = await store.readAll({ direction, fromPosition: inside, maxCount: 5 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidPosition);
        expect((error as InvalidPosition).position).toBe(inside);
      }
      const [head] = await store.readAll({ direction: 'backwards', maxCount: 1 });
      expect(await store.readAll({ fromPosition: head!.position + 10_000_000n })).toEqual([]);
    });

    it('ends a subscription from a position where no event starts with SubscriptionFailed, without resubscribing', async () => {
      const { store, ns, lines } = await setup();
      await store.appendToStream(`${ns}s`, [ev(1)]);
      const [event] = await store.readStream(`${ns}s`);
      const messages: SubscriptionMessage[] = [];
      const error = await (async () => {
        for await (const message of store.subscribeToAll({ fromPosition: event!.position + 1n })) messages.push(message);
      })().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SubscriptionFailed);
      expect((error as SubscriptionFailed).cause).toBeInstanceOf(InvalidPosition);
      expect((error as Error).message).toMatch(new RegExp(`position ${event!.position + 1n}`));
      expect(messages).toEqual([]);
      expect(lines.filter((line) => line.includes('resubscribing'))).toEqual([]);
    });

    it('a filtered subscription reports, once caught up, a position past the stretch its filter skipped', async () => {
      const { store, ns } = await setup();
      await store.appendToStream(`${ns}match-1`, [ev(1)]);
      const [match] = await store.readStream(`${ns}match-1`);
      await store.appendToStream(`${ns}other`, Array.from({ length: 200 }, (_, n) => ev(n)));
      const other = await store.readStream(`${ns}other`);

      const controller = new AbortController();
      const messages: SubscriptionMessage[] = [];
      const done = (async () => {
        for await (const message of store.subscribeToAll({ fromPosition: 'start', filter: { streamPrefixes: [`${ns}match-`] }, signal: controller.signal })) {
          messages.push(message);
        }
      })();
      cleanups.push(async () => {
        controller.abort();
        await done;
      });
      await vi.waitFor(() => expect(messages.some((m) => m.kind === 'caughtUp')).toBe(true), WAIT);
      expect(messages.filter((m) => m.kind === 'event').map((m) => m.event.id)).toEqual([match!.id]);
      const caughtUp = messages.find((m) => m.kind === 'caughtUp') as { position: bigint };
      // The server checkpoints every 32 events it considers: at most that many short of the end.
      expect(caughtUp.position > other[200 - 64]!.position).toBe(true);
    });
  });
}
