import { describe, expect, it } from 'vitest';
import { InMemoryEventStore } from './memory/memory-event-store.js';
import type { EventStore } from './port.js';
import { readAllRaw } from './raw-event.js';

describe('readAllRaw', () => {
  it("serialises a store's parsed read again when the store has no raw read, giving back the stored text", async () => {
    const inner = new InMemoryEventStore();
    await inner.appendToStream('s-1', [{ type: 'T', data: { b: [1, 'é'], a: { '2': null, '1': 0.5 } }, metadata: { orgId: 'o', chain: { v: 2, prev: null } } }]);
    await inner.appendToStream('s-2', [{ type: 'U', data: null }]);
    // A store that only reads parsed events, as a test double of another workspace may.
    const withoutRaw = { readAll: (options) => inner.readAll(options) } as Pick<EventStore, 'readAll'> as EventStore;
    for (const options of [{}, { direction: 'backwards' as const, maxCount: 1 }]) expect(await readAllRaw(withoutRaw, options)).toEqual(await inner.readAllRaw(options));
  });
});
