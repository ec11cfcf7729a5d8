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

/**
 * A read or subscription was asked to start at a `$all` position that is not one the store gave out
 * (no event starts there). Retrying will not help: the position itself is wrong, e.g. a made-up
 * paging cursor or a checkpoint kept from another store.
 */
export class InvalidPosition extends EventStoreError {
  constructor(
    readonly position: bigint,
    message = `No event starts at $all position ${position}`,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'InvalidPosition';
  }
}

/** The append is larger than the store accepts in one append; nothing was written. */
export class AppendTooLarge extends EventStoreError {
  constructor(
    readonly streamName: string,
    /** The store's limit, in bytes. */
    readonly maxAppendSize: number,
    options?: { cause?: unknown },
  ) {
    super(`Append to "${streamName}" is larger than the event store accepts at once (${maxAppendSize} bytes); nothing was written`, options);
    this.name = 'AppendTooLarge';
  }
}

/**
 * A subscription ended for good: resubscribing would fail the same way (`cause` says why, e.g. an
 * InvalidPosition). Drops the store recovers from are retried inside the subscription and never
 * surface as this error.
 */
export class SubscriptionFailed extends EventStoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SubscriptionFailed';
  }
}
