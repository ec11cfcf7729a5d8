import { describe, expect, it } from 'vitest';
import { EventStoreError } from '../errors.js';
import { checkpointPosition, toEsdbPosition, toPortPosition } from './positions.js';

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

  it('resumes after a filter checkpoint at the record it names, and ignores one that names none', () => {
    expect(checkpointPosition({ commit: 4242n, prepare: 4242n })).toBe(4242n);
    // Catching up, the server reports the start of the page it searched with prepare 0.
    expect(checkpointPosition({ commit: 8000n, prepare: 0n })).toBe(8000n);
    expect(checkpointPosition({ commit: (1n << 64n) - 1n, prepare: (1n << 64n) - 1n })).toBeNull();
  });
});
