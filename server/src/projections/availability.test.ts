import { describe, expect, it } from 'vitest';
import { availabilityOf, intervalsIn, type Transition } from './availability.js';

const T0 = Date.parse('2026-11-01T00:00:00.000Z');
const MIN = 60_000;
const at = (minutes: number) => T0 + minutes * MIN;
const iso = (minutes: number) => new Date(at(minutes)).toISOString();

function history(...steps: [number, Transition['status']][]): Transition[] {
  return steps.map(([minutes, status], index) => ({
    at: at(minutes),
    status,
    cause: { type: status === null ? 'SensorDeleted' : `to-${status}`, position: String(index), revision: String(index), actor: { kind: 'system', id: 'test' }, occurredAt: iso(minutes) },
  }));
}

function window(transitions: Transition[], from: number, until: number) {
  const intervals = intervalsIn(transitions, at(from), at(until));
  return { intervals, availability: availabilityOf(intervals, at(until)) };
}

describe('status intervals and availability over a window', () => {
  it('clips an outage that began before the window to the window start, and counts its recovery', () => {
    const { intervals, availability } = window(history([-30, 'online'], [-10, 'offline'], [20, 'online']), 0, 60);
    expect(intervals.map((i) => [i.status, i.from, i.until])).toEqual([
      ['offline', iso(0), iso(20)],
      ['online', iso(20), iso(60)],
    ]);
    expect(intervals[0]!.cause.type).toBe('to-offline');
    expect(availability).toEqual({ ratio: 40 / 60, outages: 1, longestOutageMs: 20 * MIN, mttrMs: 20 * MIN });
  });

  it('counts an outage still open at the window end as an outage but not as recovered', () => {
    const { availability } = window(history([0, 'online'], [10, 'offline'], [20, 'online'], [50, 'offline']), 0, 60);
    expect(availability).toEqual({ ratio: 40 / 60, outages: 2, longestOutageMs: 10 * MIN, mttrMs: 10 * MIN });
  });

  it('measures a sensor created inside the window over the time it existed', () => {
    const { intervals, availability } = window(history([30, 'online'], [45, 'offline']), 0, 60);
    expect(intervals[0]).toMatchObject({ status: 'online', from: iso(30) });
    expect(availability).toEqual({ ratio: 0.5, outages: 1, longestOutageMs: 15 * MIN, mttrMs: null });
  });

  it('ends the history of a sensor deleted inside the window at its deletion; an outage ended by deletion is not a recovery', () => {
    const { intervals, availability } = window(history([-5, 'online'], [10, 'offline'], [20, null]), 0, 60);
    expect(intervals.map((i) => [i.status, i.from, i.until])).toEqual([
      ['online', iso(0), iso(10)],
      ['offline', iso(10), iso(20)],
    ]);
    expect(availability).toEqual({ ratio: 0.5, outages: 1, longestOutageMs: 10 * MIN, mttrMs: null });
  });

  it('treats scanning as available and merges nothing across different statuses', () => {
    const { intervals, availability } = window(history([0, 'online'], [15, 'scanning'], [30, 'online']), 0, 60);
    expect(intervals.map((i) => i.status)).toEqual(['online', 'scanning', 'online']);
    expect(availability).toEqual({ ratio: 1, outages: 0, longestOutageMs: 0, mttrMs: null });
  });

  it('ignores a transition exactly at the window end and starts with one exactly at its start', () => {
    const { intervals } = window(history([0, 'offline'], [60, 'online']), 0, 60);
    expect(intervals.map((i) => [i.status, i.from, i.until, i.cause.type])).toEqual([['offline', iso(0), iso(60), 'to-offline']]);
  });

  it('has no ratio for a sensor that did not exist in the window', () => {
    expect(window(history([70, 'online']), 0, 60).availability).toEqual({ ratio: null, outages: 0, longestOutageMs: 0, mttrMs: null });
    expect(window(history([-20, 'online'], [-10, null]), 0, 60).intervals).toEqual([]);
  });
});
