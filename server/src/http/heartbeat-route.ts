import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Context } from '../api/context.js';
import { JSON_CONTENT_TYPE } from '../api/json-body.js';
import { serveWireHeartbeat } from '../api/wire-heartbeat.js';
import { answerFailure } from './answer-failure.js';
import { requestAnswered, requestIdOf, type RequestTracking } from './request-tracking.js';
import { SECURITY_HEADER_LIST, setSecurityHeaders } from './security-headers.js';

export interface HeartbeatRouteOptions {
  /** The caller's context; throws a 400 for a malformed session cookie. */
  contextOf: (req: IncomingMessage) => Context;
  tracking: RequestTracking;
  log: (line: string) => void;
}

/** Every header of a heartbeat's answer, in the order the route table's answers carry them; two values filled per answer. */
const ANSWER_HEADERS = [...SECURITY_HEADER_LIST, 'X-Request-Id', '', 'Content-Type', JSON_CONTENT_TYPE, 'Content-Length', ''];
/** The same while the server drains: the connection closes after the answer, as every route's does then. */
const CLOSING_HEADERS = ['Connection', 'close', ...ANSWER_HEADERS];
/** Where the two values filled per answer sit, counted from the end (the same in both lists). */
const REQUEST_ID_FROM_END = 5;
const LENGTH_FROM_END = 1;

/**
 * Serves `POST /api/agent/heartbeat` ahead of the route table, since a fleet sends little
 * else: the answer's headers go out in a single `writeHead` of a prepared list instead of one
 * `setHeader` each, and the answer is counted and logged as it is handed over, without a
 * listener per request. What a sensor or an operator sees is the same as from any other
 * route: security headers, X-Request-Id, metrics and the access-log line (499 for a client
 * that left first), `Connection: close` while draining, and refusals answered by the same
 * code as every route's.
 */
export function heartbeatRoute(options: HeartbeatRouteOptions): (req: IncomingMessage, res: ServerResponse, path: string) => void {
  const { contextOf, tracking, log } = options;
  return (req, res, path) => {
    const started = performance.now();
    const requestId = requestIdOf(req);
    const fail = (error: unknown) => {
      // Refusals are rare: counted like every route's answers, once the connection is done with them.
      if (res.destroyed) requestAnswered(tracking, req, path, requestId, started, 499);
      else res.on('close', () => requestAnswered(tracking, req, path, requestId, started, res.writableFinished ? res.statusCode : 499));
      if (tracking.inFlight === null) res.setHeader('Connection', 'close');
      setSecurityHeaders(res);
      res.setHeader('X-Request-Id', requestId);
      answerFailure(req, res, { requestId, path }, error, log);
    };
    let context: Context;
    try {
      context = contextOf(req);
    } catch (error) {
      return fail(error);
    }
    serveWireHeartbeat(context, req, (error, json) => {
      if (error !== null || json === undefined) return fail(error);
      if (res.destroyed) return requestAnswered(tracking, req, path, requestId, started, 499);
      // The server stops keeping connections alive once it drains (see refuseKeepAlive).
      const headers = tracking.inFlight === null ? CLOSING_HEADERS.slice() : ANSWER_HEADERS.slice();
      headers[headers.length - REQUEST_ID_FROM_END] = requestId;
      headers[headers.length - LENGTH_FROM_END] = String(Buffer.byteLength(json));
      res.writeHead(200, headers);
      res.end(json);
      requestAnswered(tracking, req, path, requestId, started, 200);
    });
  };
}
