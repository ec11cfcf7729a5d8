import { CancelledError, ErrorType, StreamDeletedError, UnavailableError, UnknownError } from '@eventstore/db-client';
import { describe, expect, it } from 'vitest';
import { EventStoreError, StoreUnavailable } from '../errors.js';
import { isTransientSubscriptionError, translateError } from './translate-error.js';

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
});
