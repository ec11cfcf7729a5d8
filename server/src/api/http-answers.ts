import type { ServerResponse } from 'node:http';
import { AppError } from '../domain/errors.js';
import { TooManyFailedAuthentications } from './auth-limiter.js';
import { sendJson } from './json-body.js';

/**
 * Answers a refusal with its status and `{ error }` (429s with Retry-After); returns false
 * for anything else, which is the service's own failure.
 */
export function answerRefusal(res: ServerResponse, error: unknown): boolean {
  if (error instanceof AppError) return sendJson(res, error.status, { error: error.message }), true;
  if (error instanceof TooManyFailedAuthentications) {
    return sendJson(res, 429, { error: error.message }, { 'Retry-After': String(error.retryAfterSeconds) }), true;
  }
  return false;
}

/** Decodes a percent-encoded request part; malformed encoding is the client's error (400), named by `what`. */
export function decodeComponent(value: string, what: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new AppError('bad_request', `${what} is not valid percent-encoding`);
  }
}
