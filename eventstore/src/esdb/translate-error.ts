import { ErrorType, isCommandError, MaxAppendSizeExceededError } from '@eventstore/db-client';
import { AppendTooLarge, EventStoreError, InvalidPosition, StoreUnavailable } from '../errors.js';

/** Driver error types that mean "the server is (momentarily) not there", worth retrying. */
const UNAVAILABLE_TYPES: ReadonlySet<ErrorType> = new Set([
  ErrorType.UNAVAILABLE,
  ErrorType.CANCELLED,
  ErrorType.DEADLINE_EXCEEDED,
  ErrorType.TIMEOUT,
  ErrorType.NOT_LEADER,
]);

/** gRPC status codes for the same situation when an error escapes the driver unconverted. */
const UNAVAILABLE_CODES: ReadonlySet<number> = new Set([1 /* CANCELLED */, 4 /* DEADLINE_EXCEEDED */, 14 /* UNAVAILABLE */]);

/** gRPC status codes of refusals that come back the same however often the request is repeated. */
const PERMANENT_CODES: ReadonlySet<number> = new Set([3 /* INVALID_ARGUMENT */, 7 /* PERMISSION_DENIED */, 12 /* UNIMPLEMENTED */, 16 /* UNAUTHENTICATED */]);

/**
 * A node that cannot take a write now (starting, a follower, overloaded) answers a batch append
 * with a status whose detail is empty and whose message says why; the driver passes it on as an
 * unknown error "Could not recognize <message>". Reads and subscriptions get UNAVAILABLE instead.
 */
const NOT_HANDLED = /Server Is (Not Ready|Busy|Too Busy)/;

/**
 * How 24.10 refuses a start position where no record begins: reads fail with "Unexpected
 * ReadAllResult: InvalidPosition" (UNKNOWN), subscriptions with "Trying to read from an invalid
 * position." (INVALID_ARGUMENT).
 */
const INVALID_POSITION = /InvalidPosition|invalid position/i;

/**
 * Translates a driver error into the port's errors; `context` names the operation for the message.
 * `from` is the `$all` position the operation started at, when it started at one.
 */
export function translateError(error: unknown, context: string, from?: bigint): EventStoreError {
  if (error instanceof EventStoreError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (from !== undefined && isInvalidPosition(error)) {
    return new InvalidPosition(from, `EventStoreDB refused the ${context} from $all position ${from}: no event starts there`, { cause: error });
  }
  if (isUnavailable(error)) return new StoreUnavailable(`EventStoreDB unavailable during ${context}: ${message}`, { cause: error });
  return new EventStoreError(`EventStoreDB ${context} failed: ${message}`, { cause: error });
}

/** Translates a failed append: the size limit gets its own error; the rest as `translateError`. */
export function translateAppendError(error: unknown, streamName: string): EventStoreError {
  if (error instanceof MaxAppendSizeExceededError) return new AppendTooLarge(streamName, error.maxAppendSize, { cause: error });
  return translateError(error, `append to "${streamName}"`);
}

export function isUnavailable(error: unknown): boolean {
  if (error instanceof StoreUnavailable) return true;
  if (error instanceof Error && isCommandError(error)) {
    return UNAVAILABLE_TYPES.has(error.type) || (error.type === ErrorType.UNKNOWN && NOT_HANDLED.test(error.message));
  }
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' && UNAVAILABLE_CODES.has(code);
}

export function isInvalidPosition(error: unknown): boolean {
  return error instanceof InvalidPosition || (error instanceof Error && isCommandError(error) && error.type === ErrorType.UNKNOWN && INVALID_POSITION.test(error.message));
}

/**
 * Whether a dropped subscription should be re-established. Besides unavailability this includes
 * unknown errors, which is how an HTTP/2 stream reset by a restarting server surfaces, unless
 * their status says the request itself was refused.
 */
export function isTransientSubscriptionError(error: unknown): boolean {
  if (isUnavailable(error)) return true;
  if (isInvalidPosition(error)) return false;
  if (error instanceof Error && isCommandError(error)) {
    const code = (error as { code?: unknown }).code;
    return error.type === ErrorType.UNKNOWN && !(typeof code === 'number' && PERMANENT_CODES.has(code));
  }
  return (error as { code?: unknown } | null)?.code === 'ERR_STREAM_PREMATURE_CLOSE';
}
