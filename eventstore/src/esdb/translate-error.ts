import { ErrorType, isCommandError } from '@eventstore/db-client';
import { EventStoreError, StoreUnavailable } from '../errors.js';

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

/** Translates a driver error into the port's errors; `context` names the operation for the message. */
export function translateError(error: unknown, context: string): EventStoreError {
  if (error instanceof EventStoreError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (isUnavailable(error)) return new StoreUnavailable(`EventStoreDB unavailable during ${context}: ${message}`, { cause: error });
  return new EventStoreError(`EventStoreDB ${context} failed: ${message}`, { cause: error });
}

export function isUnavailable(error: unknown): boolean {
  if (error instanceof StoreUnavailable) return true;
  if (error instanceof Error && isCommandError(error)) return UNAVAILABLE_TYPES.has(error.type);
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' && UNAVAILABLE_CODES.has(code);
}

/**
 * Whether a dropped subscription should be re-established. Besides unavailability this includes
 * unknown errors, which is how an HTTP/2 stream reset by a restarting server surfaces.
 */
export function isTransientSubscriptionError(error: unknown): boolean {
  if (isUnavailable(error)) return true;
  if (error instanceof Error && isCommandError(error)) return error.type === ErrorType.UNKNOWN;
  return (error as { code?: unknown } | null)?.code === 'ERR_STREAM_PREMATURE_CLOSE';
}
