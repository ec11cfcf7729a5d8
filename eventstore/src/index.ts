export * from './port.js';
export * from './errors.js';
export { InMemoryEventLog, InMemoryEventStore } from './memory/memory-event-store.js';
export { SqliteEventStore, type SqliteEventStoreOptions } from './sqlite/sqlite-event-store.js';
export { withCatalogValidation } from './validating-event-store.js';
export { EsdbEventStore, type EsdbConnectOptions } from './esdb/index.js';
export { rawOf, readAllRaw } from './raw-event.js';
