import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { HeartbeatTransport, ServiceMetrics } from '../observability/metrics.js';
import type { RequestLine } from '../observability/logger.js';
import { TRPC_PATH } from './trpc-http.js';

export type { RequestLine };

/** A caller's own request id is kept when it is short and plain, so it can be followed across services. */
const CALLER_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && CALLER_ID.test(given) ? given : randomUUID();
}

function heartbeatTransport(path: string): HeartbeatTransport | null {
  if (path === '/api/agent/heartbeat') return 'wire';
  if (path === `${TRPC_PATH}/agent.heartbeat`) return 'trpc';
  return null;
}

export interface RequestTracking {
  metrics: ServiceMetrics;
  requestLog: ((line: RequestLine) => void) | undefined;
  /**
   * Answers of the route table not complete yet, while the server keeps connections alive;
   * null once it is draining. The heartbeat route writes its whole head at once and reads
   * this when it does, so its answers need no entry.
   */
  inFlight: Set<ServerResponse> | null;
}

/**
 * Gives a request of the route table an id (sent back as X-Request-Id) and, once it is
 * answered, counts it in the metrics and hands its line to the access log.
 */
export function trackRequest(req: IncomingMessage, res: ServerResponse, path: string, tracking: RequestTracking): string {
  const started = performance.now();
  const requestId = requestIdOf(req);
  res.setHeader('X-Request-Id', requestId);
  const inFlight = tracking.inFlight;
  if (inFlight) inFlight.add(res);
  else res.setHeader('Connection', 'close');
  // 'close' comes once per answer: a plain listener spares the once-wrapper.
  res.on('close', () => {
    inFlight?.delete(res);
    requestAnswered(tracking, req, path, requestId, started, res.writableFinished ? res.statusCode : 499);
  });
  return requestId;
}

/**
 * Counts an answered request in the metrics and hands its line to the access log; `status`
 * is 499 when the client left before the answer was complete. `started` is the request's
 * `performance.now()`.
 */
export function requestAnswered(tracking: RequestTracking, req: IncomingMessage, path: string, requestId: string, started: number, status: number): void {
  const seconds = (performance.now() - started) / 1000;
  tracking.metrics.observeRequest(status, seconds, heartbeatTransport(path));
  tracking.requestLog?.({ requestId, method: req.method ?? '?', path, status, durationMs: Math.round(seconds * 1e6) / 1e3 });
}
