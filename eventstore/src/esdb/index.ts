export { EsdbEventStore, type EsdbConnectOptions } from './esdb-event-store.js';
export type { RetryOptions } from './retry.js';
