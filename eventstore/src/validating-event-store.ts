import { validateEvent } from '@harborguard/shared';
import { InvalidEvent } from './errors.js';
import type { EventStore } from './port.js';
import { readAllRaw } from './raw-event.js';

/**
 * Wraps a store so every event is checked against the event catalog before it is appended. The whole
 * append is validated first, so an invalid event anywhere in it means nothing is written. Adapters
 * stay catalog-agnostic; the service composes this at startup.
 */
export function withCatalogValidation(store: EventStore): EventStore {
  return {
    async appendToStream(streamName, events, options) {
      events.forEach((event, index) => {
        const problems = validateEvent(event.type, event.data, event.metadata);
        if (problems !== null) {
          const where = events.length > 1 ? ` (event ${index + 1} of ${events.length} for stream "${streamName}")` : ` (stream "${streamName}")`;
          throw new InvalidEvent(event.type, problems + where);
        }
      });
      return store.appendToStream(streamName, events, options);
    },
    readStream: (streamName, options) => store.readStream(streamName, options),
    readAll: (options) => store.readAll(options),
    readAllRaw: (options) => readAllRaw(store, options),
    subscribeToAll: (options) => store.subscribeToAll(options),
    ping: () => store.ping(),
    close: () => store.close(),
  };
}
