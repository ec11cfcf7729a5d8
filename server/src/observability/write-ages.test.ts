import { describe, expect, it } from 'vitest';
import { WriteAges } from './write-ages.js';

describe('projection lag in seconds', () => {
  it('is the age of the oldest write the read models do not include, and 0 once they do', () => {
    let now = 1_000;
    let projected: bigint | null = null;
    const ages = new WriteAges(() => projected, () => now);
    expect(ages.oldestUnprojectedSeconds()).toBe(0);
    ages.written(10n);
    now += 2_000;
    ages.written(20n);
    now += 1_500;
    expect(ages.oldestUnprojectedSeconds()).toBe(3.5);
    projected = 10n;
    expect(ages.oldestUnprojectedSeconds()).toBe(1.5);
    projected = 25n;
    expect(ages.oldestUnprojectedSeconds()).toBe(0);
  });

  it('keeps only what is behind, however many writes the projection has passed', () => {
    let projected = 0n;
    const ages = new WriteAges(() => projected, () => 0);
    for (let position = 1n; position <= 100_000n; position++) {
      ages.written(position);
      projected = position;
    }
    ages.written(100_001n);
    expect(ages.oldestUnprojectedSeconds()).toBe(0);
    expect((ages as unknown as { positions: bigint[] }).positions.length).toBeLessThan(3_000);
  });
});
