import { join } from 'node:path';
import { EsdbEventStore, SqliteEventStore, withCatalogValidation, type EventStore } from '@harborguard/eventstore';
import type { Config } from '../config/config.js';

export const EMBEDDED_STORE_FILE = 'events.sqlite';

/**
 * The configured event store, validating every event against the catalog before it is
 * written: EventStoreDB when EVENTSTORE_URL is set (waiting for it with back-off), otherwise
 * the embedded SQLite file in the data directory.
 */
export async function openEventStore(config: Config, log: (line: string) => void, signal?: AbortSignal): Promise<{ store: EventStore; description: string }> {
  if (config.eventStoreUrl) {
    const store = await EsdbEventStore.connect(config.eventStoreUrl, { log, ...(signal ? { signal } : {}) });
    return { store: withCatalogValidation(store), description: 'EventStoreDB' };
  }
  const file = join(config.dataDir, EMBEDDED_STORE_FILE);
  return { store: withCatalogValidation(SqliteEventStore.open(file, { log })), description: `embedded store ${file}` };
}
