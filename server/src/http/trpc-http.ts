import type { IncomingMessage } from 'node:http';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import type { TRPCError } from '@trpc/server';
import { appRouter } from '../api/app-router.js';
import type { Context } from '../api/context.js';
import { asTrpcError } from '../api/trpc.js';
import { TooManyFailedAuthentications } from '../api/auth-limiter.js';
import { MAX_BODY_BYTES } from '../api/json-body.js';
import { retryAfterOf } from '../api/http-answers.js';
import { AppError } from '../domain/errors.js';

export const TRPC_PATH = '/api/trpc';
/** Calls per tRPC batch; the dashboard batches far fewer. */
export const MAX_BATCH_SIZE = 50;

/**
 * Logs the service's own failures with their stack. Refusals (4xx) are answers, and a
 * WebSocket client breaking the protocol (an oversized or malformed frame: ws closes it with
 * the matching code) or dropping its connection is the client's doing: neither is logged.
 */
export function trpcErrorLogger(log: (line: string) => void) {
  return ({ error, path }: { error: TRPCError; path?: string | undefined }) => {
    if (error.code !== 'INTERNAL_SERVER_ERROR' || isClientFault(error.cause)) return;
    log(`tRPC ${path ?? '?'} failed: ${error.cause?.stack ?? error.stack ?? error.message}`);
  };
}

function isClientFault(cause: unknown): boolean {
  const code = (cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && (code.startsWith('WS_ERR_') || code === 'ECONNRESET' || code === 'EPIPE');
}

/** tRPC over HTTP: bodies up to 1 MiB, batches up to MAX_BATCH_SIZE, 429s and 503s with Retry-After. */
export function trpcHttpHandler(contextOf: (req: IncomingMessage) => Context, log: (line: string) => void) {
  return createHTTPHandler({
    router: appRouter,
    basePath: `${TRPC_PATH}/`,
    maxBodySize: MAX_BODY_BYTES,
    maxBatchSize: MAX_BATCH_SIZE,
    createContext: ({ req }) => {
      try {
        return contextOf(req);
      } catch (error) {
        // A malformed session cookie: the client's error.
        throw asTrpcError(error);
      }
    },
    responseMeta: ({ errors }) => {
      const limited = errors.map((error) => error.cause).find((cause) => cause instanceof TooManyFailedAuthentications);
      if (limited) return { headers: { 'Retry-After': String(limited.retryAfterSeconds) } };
      // A 503 says when to come back (the store is tried again then, or the service has started).
      const unavailable = errors.map((error) => error.cause).find((cause) => cause instanceof AppError && cause.kind === 'unavailable');
      return unavailable instanceof AppError ? { headers: { 'Retry-After': String(retryAfterOf(unavailable)) } } : {};
    },
    onError: trpcErrorLogger(log),
  });
}
