import type { ServerResponse } from 'node:http';
import { AppError } from '../domain/errors.js';
import { StoreUnavailableError } from '../core/store-availability.js';
import { TooManyFailedAuthentications } from './auth-limiter.js';
import { sendJson } from './json-body.js';

/**
 * Answers a refusal with its status and `{ error }` (429s with Retry-After); returns false
 * for anything else, which is the service's own failure.
 */
/** How long a client is told to wait before retrying a 503. */
const RETRY_AFTER_SECONDS = 5;

export function answerRefusal(res: ServerResponse, error: unknown): boolean {
  // A service that cannot take the request now (starting, at its memory limit) says when to try again.
  if (error instanceof AppError) return sendJson(res, error.status, { error: error.message }, error.kind === 'unavailable' ? { 'Retry-After': String(retryAfterOf(error)) } : undefined), true;
  if (error instanceof TooManyFailedAuthentications) {
    return sendJson(res, 429, { error: error.message }, { 'Retry-After': String(error.retryAfterSeconds) }), true;
  }
  return false;
}

/** Seconds a 503 asks the client to wait: until the store is tried again, when it is the store that is away. */
export function retryAfterOf(error: AppError): number {
  return error instanceof StoreUnavailableError ? error.retryAfterSeconds : RETRY_AFTER_SECONDS;
}

/** Decodes a percent-encoded request part; malformed encoding is the client's error (400), named by `what`. */
export function decodeComponent(value: string, what: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new AppError('bad_request', `${what} is not valid percent-encoding`);
  }
}
