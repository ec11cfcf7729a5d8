import { describe, expect, it, vi } from 'vitest';
import { defaultAnswer, FakeAgentApi } from './fake-agent-api.js';
import { onFakeTimers, startSensor } from './harness.js';

const { sinceStart } = onFakeTimers();

const job = { id: 'job-h', type: 'scan', scan: { imageRef: 'registry.example/app:1', source: 'registry', scanners: ['trivy'] } };

describe('SimulatedSensor: failure modes', () => {
  it('die: stops every request for good after its time', async () => {
    const api = new FakeAgentApi();
    const { sensor, isFinished } = startSensor(api, { fate: { kind: 'die', afterMs: 45_000 } });
    await vi.advanceTimersByTimeAsync(45_000);
    const sent = api.requests.length;
    expect(api.of('heartbeat').map((r) => sinceStart(r.at))).toEqual([0, 30_000]);
    await vi.advanceTimersByTimeAsync(10 * 60_000);

    expect(api.requests).toHaveLength(sent);
    expect(Math.max(...api.requests.map((r) => sinceStart(r.at)))).toBeLessThanOrEqual(40_000);
    expect(sensor.state).toBe('dead');
    expect(isFinished()).toBe(true);
    sensor.stop();
    expect(sensor.state).toBe('dead');
  });

  it('hang: freezes halfway through its first job without reporting, forever', async () => {
    const api = new FakeAgentApi().on('jobs', (_req, n) => (n === 1 ? { body: { jobs: [job] } } : defaultAnswer('jobs')));
    const { sensor, isFinished } = startSensor(api, { fate: { kind: 'hang' } });
    // The job starts at 0 and would last 9 s; the sensor freezes at 4.5 s.
    await vi.advanceTimersByTimeAsync(4_000);
    expect(sensor.state).toBe('running');
    await vi.advanceTimersByTimeAsync(600_000);

    expect(sensor.state).toBe('hung');
    expect(isFinished()).toBe(true);
    expect(api.of('upload')).toHaveLength(0);
    expect(api.of('status')).toHaveLength(0);
    expect(api.of('heartbeat').map((r) => sinceStart(r.at))).toEqual([0]);
    expect(Math.max(...api.requests.map((r) => sinceStart(r.at)))).toBeLessThan(4_500);
  });

  it('flap: sends nothing for the outage, then carries on with the same agent id', async () => {
    const api = new FakeAgentApi();
    const { sensor, stats } = startSensor(api, { fate: { kind: 'flap', afterMs: 20_000, forMs: 150_000 } });
    await vi.advanceTimersByTimeAsync(25_000);
    expect(sensor.state).toBe('flapping');
    await vi.advanceTimersByTimeAsync(175_000);

    const at = api.requests.map((r) => sinceStart(r.at));
    expect(at.filter((t) => t > 20_000 && t < 170_000)).toEqual([]);
    expect(at.some((t) => t >= 170_000)).toBe(true);
    expect(api.of('register')).toHaveLength(1);
    expect(api.of('heartbeat').every((r) => (r.body as { agentId: string }).agentId === 'agent-1')).toBe(true);
    expect(stats.requestsSuppressed).toBeGreaterThan(0);
    expect(stats.networkErrors).toBe(0);
    expect(stats.heartbeatsFailed).toBe(0);
    expect(stats.pollsFailed).toBe(0);
    expect(sensor.state).toBe('running');
    sensor.stop();
  });
});
