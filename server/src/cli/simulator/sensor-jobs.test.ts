import { describe, expect, it, vi } from 'vitest';
import { defaultAnswer, FakeAgentApi, type FakeAnswer } from './fake-agent-api.js';
import { onFakeTimers, startSensor } from './harness.js';

const { times, sinceStart, startedAt } = onFakeTimers();

const scanJob = (id: string, type = 'SCAN') => ({
  id,
  type,
  createdAt: '2026-11-27T10:00:00Z',
  scan: { imageRef: `registry.example/${id}:1.0`, source: 'registry', scanners: ['trivy'] },
});
/** Answers the n-th poll from a script; later polls get no jobs. */
const polls = (script: Record<number, FakeAnswer>) => (_req: unknown, n: number) => script[n] ?? defaultAnswer('jobs');
const statusOf = (api: FakeAgentApi) => api.of('status').map((r) => ({ path: r.path, body: r.body, at: sinceStart(r.at) }));

// With random() = 0.5 a job lasts 3 s + 0.5 × 12 s = 9 s.
describe('SimulatedSensor: jobs', () => {
  it('runs a scan job, uploads the envelope, reports completed and polls straight after', async () => {
    const api = new FakeAgentApi().on('jobs', polls({ 1: { body: { jobs: [scanJob('job-1')], cancelJobs: [] } } }));
    const { sensor, stats } = startSensor(api, { timing: { heartbeatMs: 4_000 } });
    await vi.advanceTimersByTimeAsync(9_000);

    expect(api.of('heartbeat')[1]?.body).toMatchObject({ status: 'scanning', activeScans: 1 });
    expect(times(api, 'upload')).toEqual([9_000]);
    const envelope = api.of('upload')[0]?.body;
    expect(envelope).toMatchObject({
      version: '1.0',
      sensor: { agentId: 'agent-1', hostname: 'test-host-0001' },
      image: { ref: 'registry.example/job-1:1.0' },
      scan: { id: 'job-1', status: 'SUCCESS', startedAt: new Date(startedAt()).toISOString(), finishedAt: new Date(startedAt() + 9_000).toISOString() },
      aggregates: { vulnerabilityCounts: { critical: expect.any(Number), high: expect.any(Number), medium: expect.any(Number), low: expect.any(Number), info: expect.any(Number) }, riskScore: expect.any(Number) },
    });
    expect(statusOf(api)).toEqual([{ path: '/api/agent/jobs/job-1/status', body: { status: 'completed' }, at: 9_000 }]);
    // The next poll happens at once, not at the 10 s tick.
    expect(times(api, 'jobs')).toEqual([0, 9_000]);
    const order = api.requests.filter((r) => sinceStart(r.at) === 9_000).map((r) => r.route);
    expect(order.indexOf('upload')).toBeLessThan(order.indexOf('status'));
    expect(order.indexOf('status')).toBeLessThan(order.lastIndexOf('jobs'));
    await vi.advanceTimersByTimeAsync(3_000);
    expect(times(api, 'heartbeat')).toEqual([0, 4_000, 8_000, 12_000]);
    expect(api.of('heartbeat')[3]?.body).toMatchObject({ status: 'idle', activeScans: 0 });
    expect(stats.snapshot()).toMatchObject({ jobsStarted: 1, jobsDone: 1, uploadsOk: 1 });
    sensor.stop();
  });

  it('keeps the finding counts consistent with the findings', async () => {
    const api = new FakeAgentApi().on('jobs', polls({ 1: { body: { jobs: [scanJob('job-1')] } } }));
    const { sensor } = startSensor(api, { random: sequence() });
    await vi.advanceTimersByTimeAsync(16_000);
    const envelope = api.of('upload')[0]?.body as { findings: { vulnerabilities: Array<{ severity: string }> }; aggregates: { vulnerabilityCounts: Record<string, number> } };
    const counted: Record<string, number> = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
    for (const v of envelope.findings.vulnerabilities) counted[v.severity] = (counted[v.severity] ?? 0) + 1;
    expect(envelope.aggregates.vulnerabilityCounts).toEqual(counted);
    sensor.stop();
  });

  it('falls back to a bare array when jobs is missing, matches type case-insensitively and skips a scan job without scan', async () => {
    const api = new FakeAgentApi().on(
      'jobs',
      polls({ 1: { body: { cancelJobs: [] } }, 2: { body: [{ id: 'no-scan', type: 'scan' }, scanJob('job-2', 'Scan')] } }),
    );
    const { sensor, stats } = startSensor(api);
    await vi.advanceTimersByTimeAsync(9_000);

    expect(times(api, 'jobs').slice(0, 2)).toEqual([0, 0]);
    expect(api.of('upload').map((r) => (r.body as { scan: { id: string } }).scan.id)).toEqual(['job-2']);
    expect(statusOf(api).map((s) => s.path)).toEqual(['/api/agent/jobs/job-2/status']);
    expect(stats.jobsSkipped).toBe(1);
    sensor.stop();
  });

  it('cancels the running job named in cancelJobs and reports cancelled without uploading', async () => {
    const api = new FakeAgentApi().on(
      'jobs',
      polls({ 1: { body: { jobs: [scanJob('job-3')] } }, 2: { body: { jobs: [], cancelJobs: ['other', 'job-3'] } } }),
    );
    const { sensor, stats } = startSensor(api, { timing: { jobMinMs: 15_000, jobMaxMs: 15_000 } });
    await vi.advanceTimersByTimeAsync(20_000);

    expect(statusOf(api)).toEqual([{ path: '/api/agent/jobs/job-3/status', body: { status: 'cancelled' }, at: 10_000 }]);
    expect(api.of('upload')).toHaveLength(0);
    expect(stats.snapshot()).toMatchObject({ jobsCancelled: 1, jobsDone: 0, jobsFailed: 0 });
    sensor.stop();
  });

  it('reports failed when the upload is refused', async () => {
    const api = new FakeAgentApi()
      .on('jobs', polls({ 1: { body: { jobs: [scanJob('job-4')] } } }))
      .on('upload', () => ({ status: 500, body: { error: 'disk full' } }));
    const { sensor, stats } = startSensor(api);
    await vi.advanceTimersByTimeAsync(9_000);

    expect(statusOf(api)).toEqual([
      { path: '/api/agent/jobs/job-4/status', body: { status: 'failed', error: 'upload failed: HTTP 500' }, at: 9_000 },
    ]);
    expect(stats.snapshot()).toMatchObject({ jobsFailed: 1, uploadsFailed: 1, httpErrors: { 500: 1 } });
    sensor.stop();
  });

  it('fails its share of jobs on the sensor, without uploading', async () => {
    const api = new FakeAgentApi().on('jobs', polls({ 1: { body: { jobs: [scanJob('job-5')] } } }));
    const { sensor } = startSensor(api, { timing: { jobFailShare: 1 } });
    await vi.advanceTimersByTimeAsync(9_000);
    expect(api.of('upload')).toHaveLength(0);
    expect(statusOf(api)[0]?.body).toEqual({ status: 'failed', error: 'scanner exited with status 1' });
    sensor.stop();
  });

  it('runs jobs one at a time and runs a re-sent job only once', async () => {
    const both = { body: { jobs: [scanJob('a'), scanJob('b')] } };
    const api = new FakeAgentApi().on('jobs', polls({ 1: both, 2: both }));
    const { sensor } = startSensor(api);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(times(api, 'upload')).toEqual([9_000, 18_000]);
    expect(statusOf(api).map((s) => [s.path, s.at])).toEqual([
      ['/api/agent/jobs/a/status', 9_000],
      ['/api/agent/jobs/b/status', 18_000],
    ]);
    sensor.stop();
  });

  it('completes a patch job only on a sensor with the patch capability', async () => {
    const patch = { id: 'p1', type: 'PATCH', patch: { imageRef: 'registry.example/app:1', cves: ['CVE-2026-1'], strategy: 'auto' } };
    const api = new FakeAgentApi().on('jobs', polls({ 1: { body: { jobs: [patch] } } }));
    const scanOnly = startSensor(api, { profile: { capabilities: ['scan'] } });
    await vi.advanceTimersByTimeAsync(9_000);
    expect(statusOf(api)[0]?.body).toEqual({ status: 'failed', error: 'patch capability not enabled on this sensor' });
    scanOnly.sensor.stop();

    const api2 = new FakeAgentApi().on('jobs', polls({ 1: { body: { jobs: [patch] } } }));
    const patcher = startSensor(api2, { profile: { capabilities: ['scan', 'patch'] } });
    await vi.advanceTimersByTimeAsync(9_000);
    expect(statusOf(api2)[0]?.body).toEqual({ status: 'completed' });
    expect(api2.of('upload')).toHaveLength(0);
    patcher.sensor.stop();
  });
});

/** A varied but deterministic random source. */
function sequence(): () => number {
  let i = 0;
  const values = [0.9, 0.1, 0.7, 0.3, 0.95, 0.05, 0.6, 0.2, 0.8, 0.4];
  return () => values[i++ % values.length] ?? 0.5;
}
