import { describe, expect, it } from 'vitest';
import type { StatusInterval } from '@harborguard/shared';
import { describeAvailability, formatRatio, segmentsOf, toLocalInput } from './availability';

const cause = { type: 'SensorWentOffline', position: '1', revision: '0', actor: null, occurredAt: '2026-11-01T00:00:00.000Z' };
const interval = (status: StatusInterval['status'], from: string, until: string): StatusInterval => ({ status, from, until, cause });

describe('availability strip and summary', () => {
  it('places intervals along the window in percent, leaving time before the sensor existed empty', () => {
    const from = Date.parse('2026-11-01T00:00:00.000Z');
    const until = Date.parse('2026-11-01T04:00:00.000Z');
    const segments = segmentsOf([interval('online', '2026-11-01T01:00:00.000Z', '2026-11-01T02:00:00.000Z'), interval('offline', '2026-11-01T02:00:00.000Z', '2026-11-01T04:00:00.000Z')], from, until);
    expect(segments.map(({ status, left, width }) => [status, left, width])).toEqual([
      ['online', 25, 25],
      ['offline', 50, 50],
    ]);
    expect(segments[1]!.title).toContain('offline for 2 h');
  });

  it('shows ratios to two decimals without rounding up to 100 %, and a dash when there is none', () => {
    expect(formatRatio(0.99999)).toBe('99.99 %');
    expect(formatRatio(1)).toBe('100.00 %');
    expect(formatRatio(null)).toBe('—');
  });

  it('summarises outages in words', () => {
    expect(describeAvailability({ ratio: 1, outages: 0, longestOutageMs: 0, mttrMs: null })).toBe('no outage');
    expect(describeAvailability({ ratio: 0.5, outages: 2, longestOutageMs: 300_000, mttrMs: 180_000 })).toBe('2 outages · longest 5 min · back in 3 min on average');
  });

  it('writes a moment as a datetime-local value that reads back as the same moment', () => {
    const at = Date.parse('2026-11-01T13:14:15.000Z');
    expect(new Date(toLocalInput(at)).getTime()).toBe(at);
  });
});
