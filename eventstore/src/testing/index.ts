export { describeEventStoreContract, type EventStoreHarness } from './event-store-contract.js';
