import { describe, expect, it, vi } from 'vitest';
import { FakeAgentApi } from './fake-agent-api.js';
import { onFakeTimers, startSensor } from './harness.js';

const { times } = onFakeTimers();

describe('SimulatedSensor: registration and cadence', () => {
  it('registers once, then heartbeats every 30 s and polls every 10 s with the agent headers', async () => {
    const api = new FakeAgentApi();
    const { sensor } = startSensor(api);
    await vi.advanceTimersByTimeAsync(60_000);

    expect(times(api, 'register')).toEqual([0]);
    expect(times(api, 'heartbeat')).toEqual([0, 30_000, 60_000]);
    expect(times(api, 'jobs')).toEqual([0, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000]);
    for (const request of api.requests) {
      expect(request.headers['authorization']).toBe('Bearer hg_test_key');
      expect(request.headers['content-type']).toBe('application/json');
    }
    expect(api.of('register')[0]?.body).toMatchObject({
      name: 'test-sensor-0001',
      hostname: 'test-host-0001',
      version: '0.1.0',
      os: 'linux',
      capabilities: expect.arrayContaining(['scan']),
      scannerVersions: { trivy: expect.any(String), grype: expect.any(String) },
      s3Configured: expect.any(Boolean),
    });
    expect(api.of('heartbeat')[1]?.body).toEqual({ agentId: 'agent-1', status: 'idle', activeScans: 0, uptimeSeconds: 30 });
    expect(api.of('jobs')[0]?.path).toBe('/api/agent/jobs?agentId=agent-1');
    expect(sensor.state).toBe('running');
    sensor.stop();
  });

  it('honours custom intervals', async () => {
    const api = new FakeAgentApi();
    const { sensor } = startSensor(api, { timing: { heartbeatMs: 5_000, pollMs: 2_000 } });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(times(api, 'heartbeat')).toEqual([0, 5_000, 10_000]);
    expect(times(api, 'jobs')).toEqual([0, 2_000, 4_000, 6_000, 8_000, 10_000]);
    sensor.stop();
  });

  it('retries registration with back-off doubling from 1 s to a 30 s cap, then gives up after 10 attempts', async () => {
    const api = new FakeAgentApi().on('register', () => ({ status: 503, body: { error: 'starting' } }));
    const { sensor, stats, isFinished } = startSensor(api);
    await vi.advanceTimersByTimeAsync(10 * 60_000);

    const at = times(api, 'register');
    expect(at).toHaveLength(10);
    const gaps = at.slice(1).map((t, i) => t - (at[i] ?? 0));
    expect(gaps).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 30_000]);
    expect(api.of('heartbeat')).toHaveLength(0);
    expect(api.of('jobs')).toHaveLength(0);
    expect(sensor.state).toBe('gave-up');
    expect(isFinished()).toBe(true);
    expect(stats.snapshot()).toMatchObject({ registered: 0, registerAttempts: 10, registerGaveUp: 1, httpErrors: { 503: 10 } });
  });

  it('scales the back-off by the clock speed and proceeds once registration succeeds', async () => {
    const api = new FakeAgentApi().on('register', (_req, n) =>
      n === 1 ? { networkError: true } : n === 2 ? { status: 500, body: 'boom' } : { body: { agentId: 'agent-42' } },
    );
    const { sensor, stats } = startSensor(api, { speed: 10 });
    await vi.advanceTimersByTimeAsync(1_000);

    expect(times(api, 'register')).toEqual([0, 100, 300]);
    expect(sensor.agentId).toBe('agent-42');
    expect(stats.registered).toBe(1);
    expect(stats.networkErrors).toBe(1);
    // At 10× a 30 s heartbeat is 3 real seconds.
    await vi.advanceTimersByTimeAsync(3_000);
    expect(times(api, 'heartbeat')).toEqual([300, 3_300]);
    sensor.stop();
  });

  it('treats a register answer without Content-Type as no agent id and retries', async () => {
    const api = new FakeAgentApi().on('register', (_req, n) => (n === 1 ? { body: { agentId: 'x' }, noContentType: true } : { body: { agentId: 'agent-2' } }));
    const { sensor } = startSensor(api);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(times(api, 'register')).toEqual([0, 1_000]);
    expect(sensor.agentId).toBe('agent-2');
    sensor.stop();
  });

  it('counts 401 answers separately and keeps going at the next tick', async () => {
    const api = new FakeAgentApi()
      .on('heartbeat', () => ({ status: 401, body: { error: 'Invalid API key' } }))
      .on('jobs', () => ({ status: 401, body: { error: 'Invalid API key' } }));
    const { sensor, stats } = startSensor(api);
    await vi.advanceTimersByTimeAsync(30_000);

    expect(times(api, 'heartbeat')).toEqual([0, 30_000]);
    expect(times(api, 'jobs')).toHaveLength(4);
    const s = stats.snapshot();
    expect(s.unauthorized).toBe(6);
    expect(s.httpErrors).toEqual({ 401: 6 });
    expect(s.heartbeatsFailed).toBe(2);
    expect(s.heartbeatsOk).toBe(0);
    expect(s.pollsFailed).toBe(4);
    expect(sensor.state).toBe('running');
    sensor.stop();
  });

  it('stop() ends all traffic and settles run()', async () => {
    const api = new FakeAgentApi();
    const { sensor, isFinished } = startSensor(api);
    await vi.advanceTimersByTimeAsync(15_000);
    const sent = api.requests.length;
    sensor.stop();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(api.requests).toHaveLength(sent);
    expect(sensor.state).toBe('stopped');
    expect(isFinished()).toBe(true);
  });
});
