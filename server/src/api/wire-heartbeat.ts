import type { IncomingMessage } from 'node:http';
import { AppError } from '../domain/errors.js';
import type { SensorPrincipal } from '../app/principal.js';
import type { SensorAck } from '../app/sensor-service.js';
import type { Context } from './context.js';
import { countingFailures } from './auth-limiter.js';
import { MAX_BODY_BYTES, readJsonBodyThen } from './json-body.js';
import { heartbeatAgentId } from './wire-schemas.js';

/** The wire route every deployed sensor calls every few seconds; POST only. */
export const WIRE_HEARTBEAT_PATH = '/api/agent/heartbeat';

/** Told once: the answer's JSON text, or the refusal or failure to answer with instead. */
export type HeartbeatDone = (error: unknown, json?: string) => void;

/**
 * `POST /api/agent/heartbeat`: the same checks in the same order as every wire route (the
 * service is ready, the API key is valid, with failures counted against the client's
 * address, the body is valid), then the sensor's contact. A connected sensor's heartbeat
 * changes no state, so it is answered through plain callbacks without a single promise;
 * only a heartbeat that brings a sensor (back) online waits for its events to be stored.
 */
export function serveWireHeartbeat(ctx: Context, req: IncomingMessage, done: HeartbeatDone): void {
  const app = ctx.app;
  if (!app?.ready) return done(new AppError('unavailable', 'Service is starting; retry shortly'));
  let principal: SensorPrincipal;
  try {
    principal = app.access.authenticateSensor(req.headers.authorization);
  } catch (error) {
    countingFailures(ctx.authLimiter, ctx.clientAddress, () => {
      throw error;
    }).catch(done);
    return;
  }
  const interval = app.options.heartbeatIntervalMs;
  readJsonBodyThen(req, MAX_BODY_BYTES, (error, body) => {
    if (error) return done(error);
    let agentId: string;
    let ack: SensorAck | null;
    try {
      agentId = heartbeatAgentId(body);
      ack = app.sensors.quietHeartbeat(principal, agentId);
    } catch (refusal) {
      return done(refusal);
    }
    if (ack) return done(null, heartbeatJson(ack, interval));
    app.sensors.heartbeat(principal, agentId).then((changed) => done(null, heartbeatJson(changed, interval)), done);
  });
}

/** A value as JSON text, kept for the next answer: statuses are few and answers within a millisecond share their time. */
class QuotedCache {
  private readonly known = new Map<string, string>();

  quoted(value: string): string {
    let text = this.known.get(value);
    if (text === undefined) {
      if (this.known.size >= 8) this.known.clear();
      this.known.set(value, (text = JSON.stringify(value)));
    }
    return text;
  }
}

const statusText = new QuotedCache();
const timeText = new QuotedCache();

/**
 * The answer to a heartbeat, as JSON text: the very text of `JSON.stringify({ ok: true,
 * ...ack, nextHeartbeatInMs })` (keys in that order, strings escaped by JSON.stringify),
 * without building and walking an object per answer.
 */
export function heartbeatJson(ack: SensorAck, nextHeartbeatInMs: number): string {
  const interval = Number.isFinite(nextHeartbeatInMs) ? nextHeartbeatInMs : null;
  return `{"ok":true,"sensorId":${JSON.stringify(ack.sensorId)},"status":${statusText.quoted(ack.status)},"serverTime":${timeText.quoted(ack.serverTime)},"nextHeartbeatInMs":${interval}}`;
}
