import { readAllRaw, type AllFilter, type EventStore, type RawRecordedEvent, type ReadAllOptions, type RecordedEvent } from '@harborguard/eventstore';

interface PageOptions {
  after?: bigint | null;
  pageSize: number;
  filter?: AllFilter;
}

/**
 * The global log forwards in pages, from after a position (or from the start). Reads start at a
 * position inclusively, and only positions of events the store returned are valid starts on
 * every store (EventStoreDB's are sparse), so each page starts at the last event of the one
 * before and skips it.
 */
export function logPages(store: EventStore, options: PageOptions): AsyncGenerator<RecordedEvent[]> {
  return pages((read) => store.readAll(read), options);
}

/** The same pages with payloads as their stored JSON text (see `EventStore.readAllRaw`). */
export function rawLogPages(store: EventStore, options: PageOptions): AsyncGenerator<RawRecordedEvent[]> {
  return pages((read) => readAllRaw(store, read), options);
}

async function* pages<E extends { position: bigint }>(read: (options: ReadAllOptions) => Promise<E[]>, options: PageOptions): AsyncGenerator<E[]> {
  let after = options.after ?? null;
  for (;;) {
    const page = await read({ fromPosition: after ?? 'start', maxCount: options.pageSize, ...(options.filter ? { filter: options.filter } : {}) });
    const fresh = after === null ? page : page.filter((event) => event.position > after!);
    if (fresh.length > 0) yield fresh;
    if (page.length < options.pageSize || fresh.length === 0) return;
    after = fresh.at(-1)!.position;
  }
}
