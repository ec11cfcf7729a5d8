import { describe, expect, it } from 'vitest';
import { jobsProjection } from './jobs-projection.js';
import { at, event, projectionUnderTest } from './projection-test-kit.js';
import type { Sensor } from './records.js';

const liveSensors = new Set(['s-1']);
const links = { registryIdOf: (id: string) => id, liveSensor: (id: string) => (liveSensors.has(id) ? ({ id } as Sensor) : undefined) };
const scheduled = (jobId: string, minute = 0) => event('JobScheduled', { jobId, orgId: 'org-a', registryId: 'r-1', type: 'scan', imageRef: `app:${jobId}`, source: 'operator' }, minute);
const assigned = (jobId: string, sensorId = 's-1', minute = 1) => event('JobAssigned', { jobId, sensorId }, minute);
const given = (...events: ReturnType<typeof event>[]) => projectionUnderTest(jobsProjection(links)).given(...events);

describe('jobs projection', () => {
  it('given scheduled jobs, then they wait per registry, oldest first', () => {
    const p = given(scheduled('j-1'), scheduled('j-2'), scheduled('j-3'));
    expect(p.state.pendingJobs.get('r-1')).toEqual(['j-1', 'j-2', 'j-3']);
    expect(p.state.jobs.get('j-2')).toMatchObject({ status: 'pending', sensorId: null, createdAt: at(0), seq: 1 });
  });

  it('given a job a person asked for, then it names their token; a scheduled one names nobody', () => {
    const byPerson = { ...scheduled('j-1'), metadata: { occurredAt: at(0), actor: { kind: 'user', id: 'tok-dana' } } };
    const p = given(byPerson, scheduled('j-2'));
    expect(p.state.jobs.get('j-1')?.requestedBy).toBe('tok-dana');
    expect(p.state.jobs.get('j-2')?.requestedBy).toBeNull();
  });

  it('when a job is assigned, then it stops waiting, joins the sensor history and changes the sensor row', () => {
    const p = given(scheduled('j-1'), scheduled('j-2'));
    expect(p.when(assigned('j-2'))).toEqual({ changed: ['s-1'], removed: [], touched: ['job:j-2'] });
    expect(p.state.pendingJobs.get('r-1')).toEqual(['j-1']);
    expect(p.state.jobHistory('s-1')).toEqual(['j-2']);
    expect(p.state.jobs.get('j-2')).toMatchObject({ status: 'assigned', sensorId: 's-1', assignedAt: at(1), assignedSeq: 0 });
  });

  it('when jobs finish, then each records how and when; a waiting job cancelled leaves the queue', () => {
    const p = given(scheduled('j-1'), scheduled('j-2'), scheduled('j-3'), assigned('j-1'), assigned('j-2'));
    p.when(event('JobResultsUploaded', { jobId: 'j-1', sensorId: 's-1', scanStatus: 'ok', vulnerabilityCounts: { high: 2 }, riskScore: 7 }));
    p.when(event('JobCompleted', { jobId: 'j-1', sensorId: 's-1' }, 4));
    p.when(event('JobFailed', { jobId: 'j-2', reason: 'lost', sensorId: 's-1' }, 5));
    p.when(event('JobCancelled', { jobId: 'j-3' }, 6));
    expect(p.state.jobs.get('j-1')).toMatchObject({ status: 'completed', finishedAt: at(4), results: { scanStatus: 'ok', vulnerabilityCounts: { high: 2 }, riskScore: 7 } });
    expect(p.state.jobs.get('j-2')).toMatchObject({ status: 'failed', reason: 'lost', finishedAt: at(5) });
    expect(p.state.jobs.get('j-3')).toMatchObject({ status: 'cancelled', reason: null });
    expect(p.state.pendingJobs.has('r-1')).toBe(false);
  });

  it('when a job of a deleted sensor changes, then no sensor row changes', () => {
    const p = given(scheduled('j-1'), assigned('j-1', 's-gone'));
    expect(p.when(event('JobCompleted', { jobId: 'j-1', sensorId: 's-gone' }))).toEqual({ changed: [], removed: [], touched: ['job:j-1'] });
  });

  it('loads stored jobs back into the same queue, histories and job order, whatever order they are stored in', () => {
    const live = given(scheduled('j-1'), scheduled('j-2'), scheduled('j-3'), assigned('j-3'), assigned('j-1'));
    const loaded = jobsProjection(links);
    loaded.load([...live.state.jobs.values()].reverse().map((record) => ({ kind: 'job' as const, record })));
    expect([...loaded.state.jobs.keys()]).toEqual(['j-1', 'j-2', 'j-3']);
    expect(loaded.state.pendingJobs.get('r-1')).toEqual(['j-2']);
    expect(loaded.state.jobHistory('s-1')).toEqual(['j-3', 'j-1']);
  });
});
