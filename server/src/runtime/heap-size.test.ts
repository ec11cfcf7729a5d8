import { describe, expect, it } from 'vitest';
import { heapOptions, heapSize } from './heap-size.js';

const GB = 2 ** 30;

describe('heap size chosen at start', () => {
  it('gives the heap three quarters of the machine', () => {
    expect(heapSize({}, { totalBytes: 16 * GB, constrainedBytes: undefined })).toEqual({ heapMb: 12_288, reason: '75 % of 16384 MB of machine memory' });
  });

  it('sizes for the container when its limit is below the machine', () => {
    expect(heapSize({}, { totalBytes: 64 * GB, constrainedBytes: 8 * GB })).toEqual({ heapMb: 6_144, reason: '75 % of 8192 MB of container memory' });
    // No limit is reported as 0 or as more than the machine has.
    expect(heapSize({}, { totalBytes: 8 * GB, constrainedBytes: 0 }).heapMb).toBe(6_144);
    expect(heapSize({}, { totalBytes: 8 * GB, constrainedBytes: 2 ** 62 }).heapMb).toBe(6_144);
  });

  it('takes HARBORGUARD_MAX_HEAP_MB over any machine size', () => {
    expect(heapSize({ HARBORGUARD_MAX_HEAP_MB: '512' }, { totalBytes: 64 * GB, constrainedBytes: undefined })).toEqual({ heapMb: 512, reason: 'HARBORGUARD_MAX_HEAP_MB' });
  });

  it('refuses a HARBORGUARD_MAX_HEAP_MB that is not a whole number of megabytes or too small to run in', () => {
    for (const value of ['lots', '1.5', '-1', '16']) {
      expect(() => heapSize({ HARBORGUARD_MAX_HEAP_MB: value }, { totalBytes: 8 * GB, constrainedBytes: undefined })).toThrow(/HARBORGUARD_MAX_HEAP_MB must be a whole number of megabytes, at least 32/);
    }
  });

  it('gives a large heap larger semi-spaces and no pretenuring, and leaves a small one as V8 sizes it', () => {
    expect(heapOptions(18_079)).toEqual(['--max-old-space-size=18079', '--max-semi-space-size=128', '--no-allocation-site-pretenuring']);
    expect(heapOptions(4_096)).toEqual(['--max-old-space-size=4096', '--max-semi-space-size=128', '--no-allocation-site-pretenuring']);
    expect(heapOptions(4_095)).toEqual(['--max-old-space-size=4095']);
    expect(heapOptions(48)).toEqual(['--max-old-space-size=48']);
  });
});
