import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { SensorStatus } from '@harborguard/shared';
import { heartbeatJson } from './wire-heartbeat.js';

/** The answer's reference text: the object a heartbeat answers with, through JSON.stringify. */
const reference = (ack: { sensorId: string; status: string; serverTime: string }, nextHeartbeatInMs: number) => JSON.stringify({ ok: true, ...ack, nextHeartbeatInMs });

describe('the heartbeat answer text', () => {
  it('is exactly what JSON.stringify gives for the same answer, whatever the sensor id a caller sent', () => {
    const anyText = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), fc.constantFrom('"', '\\', '\u2028', '\ud800', '</script>', '\u0000'));
    const status = fc.oneof(fc.constantFrom('online', 'scanning', 'offline'), anyText);
    const serverTime = fc.oneof(fc.date({ noInvalidDate: true }).map((date) => date.toISOString()), anyText);
    const interval = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(30_000, -0, Number.NaN, Number.POSITIVE_INFINITY));
    fc.assert(
      fc.property(anyText, status, serverTime, interval, (sensorId, status, serverTime, nextHeartbeatInMs) => {
        const ack = { sensorId, status: status as SensorStatus, serverTime };
        expect(heartbeatJson(ack, nextHeartbeatInMs)).toBe(reference(ack, nextHeartbeatInMs));
      }),
      { numRuns: 5_000 },
    );
  });

  it('stays exact across many answers in a row, as times and statuses change between them', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ sensorId: fc.string(), status: fc.constantFrom<SensorStatus>('online', 'scanning', 'offline'), serverTime: fc.string({ maxLength: 3 }) }), { maxLength: 40 }), (acks) => {
        for (const ack of acks) expect(heartbeatJson(ack, 30_000)).toBe(reference(ack, 30_000));
      }),
    );
  });
});
