import type { ExpectedRevision } from './port.js';

/** Base class for every error the event store layer throws; adapters translate driver errors into these. */
export class EventStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventStoreError';
  }
}

/** The stream's revision did not match the append's expectation. */
export class WrongExpectedVersion extends EventStoreError {
  constructor(
    readonly streamName: string,
    readonly expected: ExpectedRevision,
    /** Current revision of the stream, or 'no_stream' when it does not exist. */
    readonly actual: bigint | 'no_stream',
  ) {
    super(`Wrong expected version on stream "${streamName}": expected ${String(expected)}, actual ${String(actual)}`);
    this.name = 'WrongExpectedVersion';
  }
}

/** An event failed validation against the event catalog; nothing was written. */
export class InvalidEvent extends EventStoreError {
  constructor(readonly eventType: string, readonly issues: string) {
    super(`Invalid event ${eventType}: ${issues}`);
    this.name = 'InvalidEvent';
  }
}

/** The store cannot be reached or opened. */
export class StoreUnavailable extends EventStoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailable';
  }
}
