import { createServer } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StoreUnavailable, type SubscriptionMessage } from '@harborguard/eventstore';
import { describeEventStoreContract } from '@harborguard/eventstore/testing';
import { EsdbEventStore } from '../../eventstore/src/esdb/index.js';
import { startEsdbStandIn, type EsdbStandIn } from '../support/esdb-standin/index.js';

const FAST_RETRY = { initialDelayMs: 20, maxDelayMs: 100 };
const WAIT = { timeout: 10_000, interval: 5 };

describeEventStoreContract('EventStoreDB (wire stand-in)', async () => {
  const standIn = await startEsdbStandIn();
  let store = await EsdbEventStore.connect(standIn.connectionString);
  return {
    store,
    reopen: async () => (store = await EsdbEventStore.connect(standIn.connectionString)),
    cleanup: async () => {
      await store.close();
      await standIn.stop();
    },
  };
});

describe('EsdbEventStore against the wire stand-in', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup() {
    const standIn = await startEsdbStandIn();
    const lines: string[] = [];
    const store = await EsdbEventStore.connect(standIn.connectionString, { retry: FAST_RETRY, log: (line) => lines.push(line) });
    cleanups.push(() => standIn.stop(), () => store.close());
    return { standIn, store, lines };
  }

  function follow(store: EsdbEventStore, fromPosition: bigint | 'start' = 'start') {
    const controller = new AbortController();
    const messages: SubscriptionMessage[] = [];
    const state = { ended: false, error: undefined as unknown };
    const done = (async () => {
      try {
        for await (const message of store.subscribeToAll({ fromPosition, signal: controller.signal })) messages.push(message);
      } catch (error) {
        state.error = error;
      } finally {
        state.ended = true;
      }
    })();
    cleanups.push(async () => {
      controller.abort();
      await done;
    });
    const data = () => messages.flatMap((m) => (m.kind === 'event' ? [(m.event.data as { n: number }).n] : []));
    return { controller, messages, state, done, data };
  }

  const ev = (n: number) => ({ type: 'TestEvent', data: { n } });

  it('resubscribes after the server drops the subscription, without loss or duplicates', async () => {
    const { standIn, store, lines } = await setup();
    await store.appendToStream('sensor-1', [ev(0), ev(1)]);
    const sub = follow(store);
    await vi.waitFor(() => expect(sub.messages.some((m) => m.kind === 'caughtUp')).toBe(true), WAIT);
    await store.appendToStream('sensor-1', [ev(2)]);
    await vi.waitFor(() => expect(sub.data()).toEqual([0, 1, 2]), WAIT);

    standIn.dropSubscriptions();
    await store.appendToStream('sensor-2', [ev(3), ev(4)]);
    await store.appendToStream('sensor-1', [ev(5)]);
    await vi.waitFor(() => expect(sub.data()).toEqual([0, 1, 2, 3, 4, 5]), WAIT);

    standIn.dropSubscriptions();
    await vi.waitFor(() => expect(standIn.subscriptionsStarted()).toBe(3), WAIT);
    await store.appendToStream('sensor-3', [ev(6)]);
    await vi.waitFor(() => expect(sub.data()).toEqual([0, 1, 2, 3, 4, 5, 6]), WAIT);

    expect(sub.messages.filter((m) => m.kind === 'caughtUp')).toHaveLength(1);
    expect(sub.state.error).toBeUndefined();
    expect(lines.filter((line) => line.includes('resubscribing'))).toHaveLength(2);
  });

  it('connect retries with one log line per attempt until the server starts listening', async () => {
    const port = await freePort();
    const lines: string[] = [];
    const connecting = EsdbEventStore.connect(`esdb://127.0.0.1:${port}?tls=false`, { retry: FAST_RETRY, log: (line) => lines.push(line) });
    await vi.waitFor(() => expect(lines.length).toBeGreaterThanOrEqual(3), WAIT);
    const standIn = await startEsdbStandIn({ port });
    cleanups.push(() => standIn.stop());
    const store = await connecting;
    cleanups.push(() => store.close());

    const failed = lines.slice(0, -1);
    expect(failed.length).toBeGreaterThanOrEqual(3);
    failed.forEach((line, i) => expect(line).toMatch(new RegExp(`not reachable at esdb://127\\.0\\.0\\.1:${port}.*\\(attempt ${i + 1}\\).*retrying in \\d+ ms`)));
    expect(lines.at(-1)).toBe(`EventStoreDB reachable at esdb://127.0.0.1:${port}?tls=false (attempt ${lines.length})`);
    await store.appendToStream('sensor-1', [ev(1)]);
    expect((await store.readStream('sensor-1')).map((e) => e.data)).toEqual([{ n: 1 }]);
  });

  it('connect gives up after maxAttempts with StoreUnavailable, one line per attempt', async () => {
    const port = await freePort();
    const lines: string[] = [];
    const connecting = EsdbEventStore.connect(`esdb://127.0.0.1:${port}?tls=false`, {
      retry: { ...FAST_RETRY, maxAttempts: 3 },
      log: (line) => lines.push(line),
    });
    await expect(connecting).rejects.toBeInstanceOf(StoreUnavailable);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/\(attempt 3\).*giving up$/);
  });

  it('connect stops retrying when aborted', async () => {
    const port = await freePort();
    const controller = new AbortController();
    const lines: string[] = [];
    const connecting = EsdbEventStore.connect(`esdb://127.0.0.1:${port}?tls=false`, {
      retry: FAST_RETRY,
      signal: controller.signal,
      log: (line) => {
        lines.push(line);
        if (lines.length === 2) controller.abort();
      },
    });
    await expect(connecting).rejects.toThrow(/aborted/);
    expect(lines).toHaveLength(2);
  });

  it('close ends live subscriptions cleanly and refuses further calls', async () => {
    const { store } = await setup();
    await store.appendToStream('sensor-1', [ev(0)]);
    const sub = follow(store);
    await vi.waitFor(() => expect(sub.messages.some((m) => m.kind === 'caughtUp')).toBe(true), WAIT);

    await store.close();
    await vi.waitFor(() => expect(sub.state.ended).toBe(true), WAIT);
    expect(sub.state.error).toBeUndefined();
    expect(sub.data()).toEqual([0]);
    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailable);
    await expect(store.appendToStream('sensor-1', [ev(1)])).rejects.toBeInstanceOf(StoreUnavailable);
    await store.close();
  });

  it('skips the server’s system events in $all reads and subscriptions', async () => {
    const { store } = await setup();
    await store.appendToStream('sensor-1', [ev(0)]);
    const all = await store.readAll();
    expect(all.map((e) => e.streamName)).toEqual(['sensor-1']);
    // The stand-in, like a real node, wrote its own records first: positions do not start at 0.
    expect(all[0]!.position > 0n).toBe(true);
    const sub = follow(store);
    await vi.waitFor(() => expect(sub.messages.some((m) => m.kind === 'caughtUp')).toBe(true), WAIT);
    expect(sub.messages).toEqual([{ kind: 'event', event: all[0] }, { kind: 'caughtUp', position: all[0]!.position }]);
  });

  it('reports an unreachable server as StoreUnavailable on ping', async () => {
    const { standIn, store } = await setup();
    await store.ping();
    await standIn.stop();
    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailable);
  });
});

/** A port nothing listens on (yet). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
