import type { AllFilter, EventStore, RecordedEvent } from '@harborguard/eventstore';

/**
 * The global log forwards in pages, from after a position (or from the start). Reads start at a
 * position inclusively, and only positions of events the store returned are valid starts on
 * every store (EventStoreDB's are sparse), so each page starts at the last event of the one
 * before and skips it.
 */
export async function* logPages(store: EventStore, options: { after?: bigint | null; pageSize: number; filter?: AllFilter }): AsyncGenerator<RecordedEvent[]> {
  let after = options.after ?? null;
  for (;;) {
    const page = await store.readAll({ fromPosition: after ?? 'start', maxCount: options.pageSize, ...(options.filter ? { filter: options.filter } : {}) });
    const fresh = after === null ? page : page.filter((event) => event.position > after!);
    if (fresh.length > 0) yield fresh;
    if (page.length < options.pageSize || fresh.length === 0) return;
    after = fresh.at(-1)!.position;
  }
}
