import { describe, expect, it } from 'vitest';
import { dayOf, TokenUsage } from './token-usage.js';

describe('token usage', () => {
  it('keeps the day of a token’s last use, and the later of that and its sessions’ day', () => {
    const usage = new TokenUsage();
    expect(usage.lastUsedOn('tok', null)).toBeNull();
    expect(usage.lastUsedOn('tok', '2026-11-20')).toBe('2026-11-20');
    usage.used('tok', Date.parse('2026-11-27T23:59:59Z'));
    expect(usage.lastUsedOn('tok', '2026-11-20')).toBe('2026-11-27');
    expect(usage.lastUsedOn('tok', '2026-11-28')).toBe('2026-11-28');
    usage.used('tok', Date.parse('2026-11-28T00:00:01Z'));
    expect(usage.lastUsedOn('tok', null)).toBe('2026-11-28');
    expect(usage.lastUsedOn('other', null)).toBeNull();
  });

  it('counts days in UTC', () => {
    expect(dayOf('2026-11-27T23:30:00-05:00')).toBe('2026-11-28');
  });
});
