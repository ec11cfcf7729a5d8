export { describeEventStoreContract, type EventStoreHarness } from './event-store-contract.js';
export { RefusingStore } from './refusing-store.js';
