import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from '../api/context.js';
import { JSON_CONTENT_TYPE } from '../api/json-body.js';
import { serveWireHeartbeat } from '../api/wire-heartbeat.js';
import { answerFailure } from './answer-failure.js';
import { trackRequest, type RequestTracking } from './request-tracking.js';
import { SECURITY_HEADER_LIST, setSecurityHeaders } from './security-headers.js';

export interface HeartbeatRouteOptions {
  /** The caller's context; throws a 400 for a malformed session cookie. */
  contextOf: (req: IncomingMessage) => Context;
  tracking: RequestTracking;
  log: (line: string) => void;
}

/** Every header of a heartbeat's answer, in the order the route table's answers carry them; two values filled per answer. */
const ANSWER_HEADERS = [...SECURITY_HEADER_LIST, 'X-Request-Id', '', 'Content-Type', JSON_CONTENT_TYPE, 'Content-Length', ''];
const REQUEST_ID_AT = SECURITY_HEADER_LIST.length + 1;
const LENGTH_AT = ANSWER_HEADERS.length - 1;

/**
 * Serves `POST /api/agent/heartbeat` ahead of the route table, since a fleet sends little
 * else: the answer's headers go out in a single `writeHead` of a prepared list instead of one
 * `setHeader` each. What a sensor or an operator sees is the same as from any other route:
 * security headers, X-Request-Id, metrics and the access-log line (through trackRequest),
 * and refusals answered by the same code as every route's.
 */
export function heartbeatRoute(options: HeartbeatRouteOptions): (req: IncomingMessage, res: ServerResponse, path: string) => void {
  const { contextOf, tracking, log } = options;
  return (req, res, path) => {
    const requestId = trackRequest(req, res, path, tracking, true);
    const fail = (error: unknown) => {
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
      if (res.destroyed) return;
      const headers = ANSWER_HEADERS.slice();
      headers[REQUEST_ID_AT] = requestId;
      headers[LENGTH_AT] = String(Buffer.byteLength(json));
      res.writeHead(200, headers);
      res.end(json);
    });
  };
}
