import { describe, expect, it } from 'vitest';
import { ChangedIds } from './changed-ids.js';

describe('ChangedIds', () => {
  it('keeps each id once, in the order first added, and forgets them all when cleared', () => {
    const ids = new ChangedIds();
    ids.add('a');
    ids.add('b');
    ids.add('a');
    expect([...ids]).toEqual(['a', 'b']);
    expect(ids.size).toBe(2);
    expect(ids.has('b')).toBe(true);
    ids.clear();
    expect([...ids]).toEqual([]);
    expect(ids.has('a')).toBe(false);
    ids.add('c');
    expect([...ids]).toEqual(['c']);
  });

  it('handles many ids with duplicates, then few again after clearing', () => {
    const ids = new ChangedIds();
    const many = Array.from({ length: 50 }, (_, i) => `s-${i}`);
    for (const id of [...many, ...many.slice(10, 30)]) ids.add(id);
    expect([...ids]).toEqual(many);
    expect(ids.has('s-49')).toBe(true);
    ids.clear();
    ids.add('s-3');
    ids.add('s-3');
    expect([...ids]).toEqual(['s-3']);
    expect(ids.has('s-49')).toBe(false);
  });
});
