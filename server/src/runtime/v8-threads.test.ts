import { describe, expect, it } from 'vitest';
import { usableCores, v8Threads, type UsableCores } from './v8-threads.js';

const cores = (count: number): UsableCores => ({ count, reason: '' });

const none = { nodeOptions: undefined, execArgv: [] };

describe('V8 background threads chosen at start', () => {
  it('leaves one core to the event loop and gives V8 the rest', () => {
    expect(v8Threads(cores(2), none)).toEqual({ options: ['--v8-pool-size=1'], description: 'V8 background threads 1 (2 cores, one left to the event loop)' });
    expect(v8Threads(cores(3), none).options).toEqual(['--v8-pool-size=2']);
    expect(v8Threads(cores(4), none).options).toEqual(['--v8-pool-size=3']);
  });

  it('never asks for more than Node starts by itself, nor for none', () => {
    expect(v8Threads(cores(64), none).options).toEqual(['--v8-pool-size=4']);
    expect(v8Threads(cores(1), none)).toEqual({ options: ['--v8-pool-size=1'], description: 'V8 background threads 1 (1 core)' });
  });

  it("keeps the operator's own size, from NODE_OPTIONS or the command line", () => {
    const kept = { options: [], description: 'V8 background threads as set by --v8-pool-size' };
    expect(v8Threads(cores(2), { nodeOptions: '--enable-source-maps --v8-pool-size=6', execArgv: [] })).toEqual(kept);
    expect(v8Threads(cores(2), { nodeOptions: '--v8-pool-size 6', execArgv: [] })).toEqual(kept);
    expect(v8Threads(cores(2), { nodeOptions: undefined, execArgv: ['--v8-pool-size=3'] })).toEqual(kept);
    // A different option that merely starts alike is not a choice of pool size.
    expect(v8Threads(cores(2), { nodeOptions: '--v8-pool-sizes=3', execArgv: [] }).options).toEqual(['--v8-pool-size=1']);
  });

  it("counts the container's CPU quota when it allows fewer cores than the process may run on", () => {
    expect(usableCores(8, { cpuMax: '200000 100000\n' })).toEqual({ count: 2, reason: " by the container's CPU quota" });
    expect(v8Threads(usableCores(8, { cpuMax: '200000 100000\n' }), none)).toEqual({
      options: ['--v8-pool-size=1'],
      description: "V8 background threads 1 (2 cores by the container's CPU quota, one left to the event loop)",
    });
    // A part of a core counts as a core; cgroup v1 gives quota and period apart.
    expect(usableCores(8, { cfsQuotaUs: '150000\n', cfsPeriodUs: '100000\n' }).count).toBe(2);
    expect(usableCores(8, { cpuMax: '50000 100000' }).count).toBe(1);
  });

  it('keeps the cores it may run on when there is no quota, or a larger one', () => {
    expect(usableCores(4, { cpuMax: 'max 100000\n' })).toEqual({ count: 4, reason: '' });
    expect(usableCores(4, { cfsQuotaUs: '-1\n', cfsPeriodUs: '100000\n' })).toEqual({ count: 4, reason: '' });
    expect(usableCores(4, { cpuMax: '1600000 100000' })).toEqual({ count: 4, reason: '' });
    expect(usableCores(4, {})).toEqual({ count: 4, reason: '' });
  });
});
