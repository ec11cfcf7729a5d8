import { describe, expect, it } from 'vitest';
import { createLogger, levelOfLine, lineLog, requestLogger, scrubber } from './logger.js';
import type { LogLevel } from '../config/config.js';

const ADMIN = 'configured-admin-token-0123456789';
const API_KEY = 'hg_ak_0123456789abcdef0123456789abcdef';
const USER_TOKEN = 'hg_tk_00112233445566778899aabbccddeeff0011223344556677';

/** A logger writing JSON lines into an array. */
function capture(level: LogLevel) {
  const lines: string[] = [];
  const logger = createLogger({ level, destination: { write: (chunk: string) => void lines.push(chunk) }, secrets: [ADMIN] });
  return { logger, records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('logger', () => {
  it('writes one JSON object per line with the level by name, the time and the message', () => {
    const { logger, records } = capture('info');
    lineLog(logger)('ready: offline after 120000 ms without contact');
    expect(records()).toEqual([expect.objectContaining({ level: 'info', msg: 'ready: offline after 120000 ms without contact', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) })]);
  });

  it('writes nothing below the configured level', () => {
    const { logger, records } = capture('warn');
    const log = lineLog(logger);
    log('rebuilt 10 events: 2 sensors');
    log('projection subscription dropped (socket closed); resubscribing in 100 ms');
    log('reaction failed: boom');
    expect(records().map((record) => record['level'])).toEqual(['warn', 'error']);
  });

  it('never writes a credential, whether in the message or in a field', () => {
    const { logger, records } = capture('debug');
    lineLog(logger)(`request failed: header was Bearer ${ADMIN}, key ${API_KEY}, cookie hg_session=${USER_TOKEN}; admin ${ADMIN}`);
    logger.info({ authorization: `Bearer ${USER_TOKEN}`, headers: { cookie: `hg_session=${USER_TOKEN}` }, note: `key=${API_KEY}` }, 'fields');
    logger.error({ err: new Error(`bad key ${API_KEY}`) }, 'an error');
    const text = JSON.stringify(records());
    for (const secret of [ADMIN, API_KEY, USER_TOKEN, API_KEY.slice(6), USER_TOKEN.slice(6)]) expect(text).not.toContain(secret);
    // What a credential was stays recognisable: its kind, never its value.
    expect(text).toContain('hg_ak_[redacted]');
    expect(text).toContain('Bearer [redacted]');
  });

  it('logs successful requests at debug and failed ones as errors, each with its request id', () => {
    const { logger, records } = capture('info');
    const log = requestLogger(logger);
    log({ requestId: 'r-1', method: 'POST', path: '/api/agent/heartbeat', status: 200, durationMs: 1.5 });
    log({ requestId: 'r-2', method: 'POST', path: '/api/agent/heartbeat', status: 401, durationMs: 0.5 });
    log({ requestId: 'r-3', method: 'GET', path: '/api/trpc/sensors.list', status: 500, durationMs: 3 });
    expect(records().map(({ level, requestId, status }) => ({ level, requestId, status }))).toEqual([
      { level: 'info', requestId: 'r-2', status: 401 },
      { level: 'error', requestId: 'r-3', status: 500 },
    ]);
  });

  it('reads a line’s level from what it says', () => {
    expect(levelOfLine('scheduled scan of registry r1 failed: timeout')).toBe('error');
    expect(levelOfLine('EventStoreDB not reachable at a:2113 (attempt 2): refused; retrying in 200 ms')).toBe('warn');
    expect(levelOfLine('event store: embedded store /data/events.sqlite')).toBe('info');
  });

  it('scrubs the configured secrets even when they have no recognisable shape', () => {
    expect(scrubber(['s3cret-value-that-is-long'])('token s3cret-value-that-is-long seen')).toBe('token [redacted] seen');
  });
});
