import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { HeartbeatTransport, ServiceMetrics } from '../observability/metrics.js';
import type { RequestLine } from '../observability/logger.js';
import { TRPC_PATH } from './trpc-http.js';

export type { RequestLine };

/** A caller's own request id is kept when it is short and plain, so it can be followed across services. */
const CALLER_ID = /^[A-Za-z0-9._:-]{1,64}$/;

function requestIdOf(req: IncomingMessage): string {
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
  /** Answers not complete yet, while the server keeps connections alive; null once it is draining. */
  inFlight: Set<ServerResponse> | null;
}

/**
 * Gives the request an id (sent back as X-Request-Id, set here unless `idHeaderLater` says the
 * caller writes it with the answer) and, once it is answered, counts it in the metrics and
 * hands its line to the access log. One listener per request: this runs for every heartbeat.
 */
export function trackRequest(req: IncomingMessage, res: ServerResponse, path: string, tracking: RequestTracking, idHeaderLater = false): string {
  const started = performance.now();
  const requestId = requestIdOf(req);
  if (!idHeaderLater) res.setHeader('X-Request-Id', requestId);
  const inFlight = tracking.inFlight;
  if (inFlight) inFlight.add(res);
  else res.setHeader('Connection', 'close');
  // 'close' comes once per answer: a plain listener spares the once-wrapper.
  res.on('close', () => {
    inFlight?.delete(res);
    const seconds = (performance.now() - started) / 1000;
    const status = res.writableFinished ? res.statusCode : 499;
    tracking.metrics.observeRequest(status, seconds, heartbeatTransport(path));
    tracking.requestLog?.({ requestId, method: req.method ?? '?', path, status, durationMs: Math.round(seconds * 1e6) / 1e3 });
  });
  return requestId;
}
