import { describe, expect, it, vi } from 'vitest';
import { describeEventStoreContract } from '../testing/index.js';
import { InvalidEvent, StoreUnavailable } from '../errors.js';
import { InMemoryEventLog, InMemoryEventStore } from './memory-event-store.js';

describeEventStoreContract('in-memory', async () => {
  const log = new InMemoryEventLog();
  let current = new InMemoryEventStore(log);
  return {
    store: current,
    reopen: async () => (current = new InMemoryEventStore(log)),
    cleanup: () => current.close(),
  };
});

describe('InMemoryEventStore', () => {
  it('hands out copies, so mutating a read event does not change the store', async () => {
    const store = new InMemoryEventStore();
    const data = { list: [1] };
    await store.appendToStream('s', [{ type: 'T', data }]);
    data.list.push(2);
    const [read] = await store.readStream('s');
    (read!.data as { list: number[] }).list.push(3);
    expect((await store.readStream('s'))[0]!.data).toEqual({ list: [1] });
  });

  it('rejects a function as data with InvalidEvent', async () => {
    const store = new InMemoryEventStore();
    await expect(store.appendToStream('s', [{ type: 'T', data: () => 1 }])).rejects.toBeInstanceOf(InvalidEvent);
  });

  it('reports caughtUp with a null position on an empty store', async () => {
    const store = new InMemoryEventStore();
    const controller = new AbortController();
    for await (const message of store.subscribeToAll({ signal: controller.signal })) {
      expect(message).toEqual({ kind: 'caughtUp', position: null });
      controller.abort();
    }
  });

  it('ends live subscriptions when closed and refuses further calls', async () => {
    const store = new InMemoryEventStore();
    await store.appendToStream('s', [{ type: 'T', data: {} }]);
    const messages: string[] = [];
    const done = (async () => {
      for await (const message of store.subscribeToAll()) messages.push(message.kind);
    })();
    await vi.waitFor(() => expect(messages).toEqual(['event', 'caughtUp']));
    await store.appendToStream('s', [{ type: 'T', data: {} }]);
    await vi.waitFor(() => expect(messages).toHaveLength(3));
    await store.close();
    await done;
    expect(messages).toEqual(['event', 'caughtUp', 'event']);
    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailable);
    await expect(store.readAll()).rejects.toBeInstanceOf(StoreUnavailable);
  });
});
