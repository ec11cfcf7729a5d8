import { describe, expect, it } from 'vitest';
import { formatInterval, formatRelative, formatSkew, formatSpan, formatTimestamp } from './time';

const now = Date.parse('2026-11-27T10:00:00.000Z');
const ago = (ms: number) => new Date(now - ms).toISOString();

describe('formatRelative', () => {
  it('says "just now" under a second', () => {
    expect(formatRelative(ago(0), now)).toBe('just now');
    expect(formatRelative(ago(999), now)).toBe('just now');
  });

  it('counts seconds, minutes, hours and days, flooring', () => {
    expect(formatRelative(ago(1_000), now)).toBe('1 s ago');
    expect(formatRelative(ago(12_400), now)).toBe('12 s ago');
    expect(formatRelative(ago(59_999), now)).toBe('59 s ago');
    expect(formatRelative(ago(60_000), now)).toBe('1 min ago');
    expect(formatRelative(ago(3_599_999), now)).toBe('59 min ago');
    expect(formatRelative(ago(3_600_000), now)).toBe('1 h ago');
    expect(formatRelative(ago(49 * 3_600_000), now)).toBe('2 d ago');
  });

  it('ticks as time passes', () => {
    const at = ago(0);
    expect(formatRelative(at, now + 11_000)).toBe('11 s ago');
    expect(formatRelative(at, now + 12_000)).toBe('12 s ago');
  });

  it('treats a moment ahead as now, speaks of the future beyond a minute, and handles missing or bad input', () => {
    expect(formatRelative(ago(-5_000), now)).toBe('just now');
    expect(formatRelative(ago(-5 * 60_000), now)).toBe('in 5 min');
    expect(formatRelative(null, now)).toBe('never');
    expect(formatRelative('not a date', now)).toBe('unknown');
    expect(formatRelative(now - 3_000, now)).toBe('3 s ago');
  });
});

describe('spans, intervals, skew and timestamps', () => {
  it('formats spans in their largest unit', () => {
    expect(formatSpan(0)).toBe('0 s');
    expect(formatSpan(-90_000)).toBe('1 min');
  });

  it('formats schedules', () => {
    expect(formatInterval(null)).toBe('Manual only');
    expect(formatInterval(15 * 60_000)).toBe('Every 15 min');
    expect(formatInterval(2 * 3_600_000)).toBe('Every 2 h');
    expect(formatInterval(86_400_000)).toBe('Every 1 d');
    expect(formatInterval(90_000)).toBe('Every 90 s');
  });

  it('says which way a clock is off', () => {
    expect(formatSkew(125_000)).toBe('2 min 5 s ahead of the server');
    expect(formatSkew(-40_000)).toBe('40 s behind the server');
    expect(formatSkew(-120_000)).toBe('2 min behind the server');
  });

  it('formats timestamps and keeps unparseable text', () => {
    expect(formatTimestamp(null)).toBe('—');
    expect(formatTimestamp('nope')).toBe('nope');
    expect(formatTimestamp(new Date(2026, 10, 27, 9, 4, 5).toISOString())).toBe('2026-11-27 09:04:05');
  });
});
