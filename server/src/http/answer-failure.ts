import type { IncomingMessage, ServerResponse } from 'node:http';
import { ClientGoneError, sendJson } from '../api/json-body.js';
import { answerRefusal } from '../api/http-answers.js';

/**
 * The last word on a request that threw. A client that left is nobody to answer and no
 * failure; a refusal is the client's error, answered without a stack trace in the log;
 * anything else is the service's failure: logged with its stack, answered 500.
 */
export function answerFailure(req: IncomingMessage, res: ServerResponse, request: { requestId: string; path: string }, error: unknown, log: (line: string) => void): void {
  if (error instanceof ClientGoneError || res.destroyed) return void res.destroy();
  if (!res.headersSent && answerRefusal(res, error)) return;
  // The path without its query: a query may carry what must not be logged.
  log(`request ${request.requestId} ${req.method} ${request.path} failed: ${(error as Error).stack ?? String(error)}`);
  if (!res.headersSent) sendJson(res, 500, { error: 'Internal error' });
  else res.destroy();
}

