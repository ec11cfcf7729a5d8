import { describe, expect, it } from 'vitest';
import { EventStoreError } from '../errors.js';
import { toEsdbPosition, toPortPosition } from './positions.js';

describe('$all position mapping', () => {
  it('maps a self-committed event to its commit position and back', () => {
    expect(toPortPosition({ commit: 4242n, prepare: 4242n }, 'event')).toBe(4242n);
    expect(toEsdbPosition(4242n)).toEqual({ commit: 4242n, prepare: 4242n });
  });

  it('refuses explicit-transaction positions, where commit and prepare differ', () => {
    expect(() => toPortPosition({ commit: 900n, prepare: 700n }, 'event e')).toThrow(EventStoreError);
    expect(() => toPortPosition({ commit: 900n, prepare: 700n }, 'event e')).toThrow(/explicit transactions/);
  });

  it('refuses a missing position (ulong.MaxValue or absent)', () => {
    const none = (1n << 64n) - 1n;
    expect(() => toPortPosition({ commit: none, prepare: none }, 'event')).toThrow(/no \$all position/);
    expect(() => toPortPosition(undefined, 'event')).toThrow(/no \$all position/);
  });

  it('refuses positions the server cannot represent', () => {
    expect(() => toEsdbPosition(-1n)).toThrow(EventStoreError);
    expect(() => toEsdbPosition(1n << 64n)).toThrow(EventStoreError);
  });
});
