import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeAgentApi } from './fake-agent-api.js';
import { Fleet } from './fleet.js';
import { dealFates } from './profiles.js';
import { seededRandom } from './random.js';
import { Semaphore } from './semaphore.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Fleet', () => {
  it('starts sensors staggered over one heartbeat interval with distinct host names', async () => {
    const t0 = Date.now();
    const api = new FakeAgentApi();
    let next = 0;
    api.on('register', () => ({ body: { agentId: `agent-${++next}` } }));
    const fleet = new Fleet({ url: 'http://hg.test', apiKey: 'hg_k', sensors: 20, fetch: api.fetch, random: seededRandom(7) });
    const done = fleet.run();
    await vi.advanceTimersByTimeAsync(29_999);

    const registers = api.of('register');
    expect(registers).toHaveLength(20);
    const hostnames = registers.map((r) => (r.body as { hostname: string }).hostname);
    expect(new Set(hostnames).size).toBe(20);
    expect(hostnames).toContain('sim-host-0001');
    expect(hostnames).toContain('sim-host-0020');
    const at = registers.map((r) => r.at - t0);
    expect(at[0]).toBe(0);
    expect(at[19]).toBe(28_500);
    expect(fleet.states().running).toBe(20);
    expect(fleet.stats.registered).toBe(20);

    await fleet.stop();
    await done;
    expect(fleet.states().stopped).toBe(20);
  });

  it('applies the clock speed to the whole fleet', async () => {
    const api = new FakeAgentApi();
    const fleet = new Fleet({ url: 'http://hg.test', apiKey: 'hg_k', sensors: 1, speed: 10, fetch: api.fetch });
    void fleet.run();
    await vi.advanceTimersByTimeAsync(6_000);
    // 60 simulated seconds: heartbeats at 0, 30 s, 60 s.
    expect(api.of('heartbeat')).toHaveLength(3);
    await fleet.stop();
  });

  it('deals exact, disjoint fate counts', () => {
    const fates = dealFates(100, { die: 0.1, flap: 0.05, hang: 0.02 }, seededRandom(1));
    const count = (kind: string) => fates.filter((f) => f.kind === kind).length;
    expect([count('die'), count('flap'), count('hang'), count('healthy')]).toEqual([10, 5, 2, 83]);
    for (const fate of fates) {
      if (fate.kind === 'flap') expect(fate.forMs).toBeGreaterThan(120_000);
      if (fate.kind === 'die') expect(fate.afterMs).toBeGreaterThan(0);
    }
  });
});

describe('Semaphore', () => {
  it('never runs more tasks than its limit at once', async () => {
    const limiter = new Semaphore(2);
    let running = 0;
    let peak = 0;
    const task = async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 10));
      running--;
    };
    const all = Promise.all(Array.from({ length: 7 }, () => limiter.run(task)));
    await vi.advanceTimersByTimeAsync(100);
    await all;
    expect(peak).toBe(2);
  });
});
