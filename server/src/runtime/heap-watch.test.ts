import { describe, expect, it } from 'vitest';
import { HeapWatch, youngGenerationBytes, type HeapReading } from './heap-watch.js';

const MB = 2 ** 20;

function watchOver(readings: number[]): { watch: HeapWatch; changes: boolean[] } {
  const changes: boolean[] = [];
  let next = 0;
  const read = (): HeapReading => ({ usedBytes: readings[Math.min(next++, readings.length - 1)]! * MB, limitBytes: 100 * MB });
  return { watch: new HeapWatch({ highWater: 0.8, lowWater: 0.7, read, onChange: (atLimit) => changes.push(atLimit) }), changes };
}

describe('heap watch', () => {
  it('takes new sensors below the high-water mark', () => {
    const { watch } = watchOver([10, 50, 79]);
    expect(watch.refusal()).toBeNull();
    expect(watch.refusal()).toBeNull();
    expect(watch.reason()).toBeNull();
    expect(watch.refused).toBe(0);
  });

  it('refuses past the high-water mark, saying why and how to fix it, and counts each refusal', () => {
    const { watch, changes } = watchOver([10, 85, 90]);
    const heard: number[] = [];
    watch.refusedListener = () => heard.push(watch.refused);
    expect(watch.refusal()).toMatch(/memory limit \(heap 85 of 100 MB in use\).*new sensors are refused.*HARBORGUARD_MAX_HEAP_MB.*existing sensors keep working/);
    expect(watch.refusal()).toMatch(/heap 90 of 100 MB/);
    expect(watch.refusing).toBe(true);
    expect(heard).toEqual([1, 2]);
    expect(changes).toEqual([true]);
  });

  it('takes new sensors again only once use falls below the low-water mark, so the answer does not flap', () => {
    const { watch, changes } = watchOver([10, 81, 75, 71, 69, 75]);
    expect(watch.check()).toBe(true);
    expect(watch.check()).toBe(true);
    expect(watch.check()).toBe(true);
    expect(watch.check()).toBe(false);
    expect(watch.reason()).toBeNull();
    expect(watch.check()).toBe(false);
    expect(changes).toEqual([true, false]);
  });

  it('counts the young generation as the semi-spaces the process was started with', () => {
    expect(youngGenerationBytes([])).toBe(48 * MB);
    expect(youngGenerationBytes(['--max-old-space-size=18079', '--max-semi-space-size=64'])).toBe(192 * MB);
    expect(youngGenerationBytes(['--max_semi_space_size=32', '--trace-gc'])).toBe(96 * MB);
  });
});
