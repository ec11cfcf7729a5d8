import { CancelledError, ErrorType, MaxAppendSizeExceededError, StreamDeletedError, UnavailableError, UnknownError } from '@eventstore/db-client';
import { describe, expect, it } from 'vitest';
import { AppendTooLarge, EventStoreError, InvalidPosition, StoreUnavailable } from '../errors.js';
import { isTransientSubscriptionError, translateAppendError, translateError } from './translate-error.js';

describe('driver error translation', () => {
  it('turns unavailability into StoreUnavailable, keeping the cause', () => {
    const cause = new UnavailableError(undefined, 'No connection established');
    const error = translateError(cause, 'ping');
    expect(error).toBeInstanceOf(StoreUnavailable);
    expect(error.message).toMatch(/unavailable during ping: No connection established/);
    expect(error.cause).toBe(cause);
    expect(translateError({ code: 14, message: 'raw grpc' }, 'read')).toBeInstanceOf(StoreUnavailable);
  });

  it('turns other driver errors into EventStoreError', () => {
    const error = translateError(StreamDeletedError.fromStreamName('s'), 'read of "s"');
    expect(error).toBeInstanceOf(EventStoreError);
    expect(error).not.toBeInstanceOf(StoreUnavailable);
  });

  it('passes the port errors through', () => {
    const own = new StoreUnavailable('closed');
    expect(translateError(own, 'x')).toBe(own);
  });

  it('retries subscriptions on drops, not on refusals', () => {
    expect(isTransientSubscriptionError(new UnavailableError())).toBe(true);
    expect(isTransientSubscriptionError(new CancelledError())).toBe(true);
    expect(isTransientSubscriptionError(new UnknownError())).toBe(true);
    expect(isTransientSubscriptionError(new StoreUnavailable('ended'))).toBe(true);
    expect(isTransientSubscriptionError(StreamDeletedError.fromStreamName('s'))).toBe(false);
    expect(isTransientSubscriptionError(new EventStoreError('bad position'))).toBe(false);
    expect(new UnavailableError().type).toBe(ErrorType.UNAVAILABLE);
  });

  it('turns a batch-append "not ready" or "busy" refusal into StoreUnavailable', () => {
    // What the driver makes of the server's status with an empty detail.
    for (const reason of ['Server Is Not Ready', 'Server Is Busy']) {
      const error = translateAppendError(new UnknownError(undefined, `Could not recognize ${reason}`), 'sensor-1');
      expect(error).toBeInstanceOf(StoreUnavailable);
      expect(error.message).toContain(reason);
    }
    expect(translateAppendError(new UnknownError(undefined, 'Could not recognize Something else'), 'sensor-1')).not.toBeInstanceOf(StoreUnavailable);
  });

  it('turns the size refusal into AppendTooLarge naming the stream and the limit', () => {
    const error = translateAppendError(MaxAppendSizeExceededError.fromMaxAppendSize(1_048_576), 'sensor-1');
    expect(error).toBeInstanceOf(AppendTooLarge);
    expect(error).toMatchObject({ streamName: 'sensor-1', maxAppendSize: 1_048_576 });
    expect(error.message).toMatch(/"sensor-1".*1048576 bytes.*nothing was written/);
  });

  it('recognises both ways a node refuses a start position, and never retries them', () => {
    const read = Object.assign(new UnknownError(undefined, '2 UNKNOWN: Unexpected ReadAllResult: InvalidPosition'), { code: 2 });
    const subscribe = Object.assign(new UnknownError(undefined, '3 INVALID_ARGUMENT: Trying to read from an invalid position.'), { code: 3 });
    for (const cause of [read, subscribe]) {
      const error = translateError(cause, 'read of $all', 77n);
      expect(error).toBeInstanceOf(InvalidPosition);
      expect((error as InvalidPosition).position).toBe(77n);
      expect(isTransientSubscriptionError(cause)).toBe(false);
    }
    expect(isTransientSubscriptionError(Object.assign(new UnknownError(undefined, '7 PERMISSION_DENIED'), { code: 7 }))).toBe(false);
    expect(isTransientSubscriptionError(Object.assign(new UnknownError(undefined, '2 UNKNOWN: stream reset'), { code: 2 }))).toBe(true);
  });
});
