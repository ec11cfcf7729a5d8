import { describe, expect, it } from 'vitest';
import { v8Threads } from './v8-threads.js';

const none = { nodeOptions: undefined, execArgv: [] };

describe('V8 background threads chosen at start', () => {
  it('leaves one core to the event loop and gives V8 the rest', () => {
    expect(v8Threads(2, none)).toEqual({ options: ['--v8-pool-size=1'], description: 'V8 background threads 1 (2 cores, one left to the event loop)' });
    expect(v8Threads(3, none).options).toEqual(['--v8-pool-size=2']);
    expect(v8Threads(4, none).options).toEqual(['--v8-pool-size=3']);
  });

  it('never asks for more than Node starts by itself, nor for none', () => {
    expect(v8Threads(64, none).options).toEqual(['--v8-pool-size=4']);
    expect(v8Threads(1, none)).toEqual({ options: ['--v8-pool-size=1'], description: 'V8 background threads 1 (1 core)' });
  });

  it("keeps the operator's own size, from NODE_OPTIONS or the command line", () => {
    const kept = { options: [], description: 'V8 background threads as set by --v8-pool-size' };
    expect(v8Threads(2, { nodeOptions: '--enable-source-maps --v8-pool-size=6', execArgv: [] })).toEqual(kept);
    expect(v8Threads(2, { nodeOptions: '--v8-pool-size 6', execArgv: [] })).toEqual(kept);
    expect(v8Threads(2, { nodeOptions: undefined, execArgv: ['--v8-pool-size=3'] })).toEqual(kept);
    // A different option that merely starts alike is not a choice of pool size.
    expect(v8Threads(2, { nodeOptions: '--v8-pool-sizes=3', execArgv: [] }).options).toEqual(['--v8-pool-size=1']);
  });
});
