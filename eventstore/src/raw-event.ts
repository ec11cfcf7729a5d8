import type { EventStore, RawRecordedEvent, ReadAllOptions, RecordedEvent } from './port.js';

/**
 * A read event with its payloads serialised again. For payloads a store parsed from text that
 * `JSON.stringify` wrote, this is that text again: parsing keeps key order and the exact value
 * of every number, string and literal, and serialising them anew writes the same characters.
 */
export function rawOf(event: RecordedEvent): RawRecordedEvent {
  return {
    id: event.id,
    streamName: event.streamName,
    revision: event.revision,
    position: event.position,
    type: event.type,
    data: JSON.stringify(event.data ?? null),
    metadata: JSON.stringify(event.metadata),
    recordedAt: event.recordedAt.getTime(),
  };
}

/** A page of the global log with payloads as JSON text, from any store (see `EventStore.readAllRaw`). */
export async function readAllRaw(store: EventStore, options: ReadAllOptions = {}): Promise<RawRecordedEvent[]> {
  if (store.readAllRaw) return store.readAllRaw(options);
  return (await store.readAll(options)).map(rawOf);
}
