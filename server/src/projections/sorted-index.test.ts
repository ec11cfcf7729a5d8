import { describe, expect, it } from 'vitest';
import { SortedIndex } from './sorted-index.js';

const byNumber = (a: number, b: number) => a - b;
/** The ids in order, after `after` when given. */
const from = <K>(index: SortedIndex<K>, after?: K) => {
  const { ids, start } = index.ordered(after);
  return ids.slice(start);
};

describe('SortedIndex', () => {
  it('keeps ids in key order through inserts, moves and deletes', () => {
    const index = new SortedIndex<[number, string]>((a, b) => a[0] - b[0] || a[1].localeCompare(b[1]));
    index.set('c', [1, 'c']);
    index.set('a', [1, 'a']);
    index.set('z', [0, 'z']);
    index.set('b', [1, 'b']);
    expect(from(index)).toEqual(['z', 'a', 'b', 'c']);
    index.set('c', [0, 'c']);
    expect(from(index)).toEqual(['c', 'z', 'a', 'b']);
    index.delete('z');
    expect(from(index)).toEqual(['c', 'a', 'b']);
    expect(from(index, [1, 'a'])).toEqual(['b']);
  });

  it.each([
    ['sorted once at the first read', 0],
    ['kept in order change by change', 1],
  ])('agrees with a full sort after many random changes (%s)', (_mode, readEarly) => {
    const index = new SortedIndex<number>(byNumber);
    const truth = new Map<string, number>();
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    if (readEarly) from(index);
    for (let step = 0; step < 5000; step++) {
      if (readEarly && step % 500 === 0) from(index);
      const id = `s${Math.floor(random() * 300)}`;
      if (random() < 0.2) {
        index.delete(id);
        truth.delete(id);
      } else {
        // Distinct keys: ties would make the expected order ambiguous.
        const key = Math.floor(random() * 1e9) * 1000 + Number(id.slice(1));
        index.set(id, key);
        truth.set(id, key);
      }
    }
    expect(from(index)).toEqual([...truth.entries()].sort((a, b) => a[1] - b[1]).map(([id]) => id));
  });
});
