import { describe, it } from 'vitest';
import type { JobCommand, JobEvent } from './job.js';
import { jobDecider } from './job.js';
import { deciderSpec, SPEC_TIME } from './testing/given-when-then.js';

const given = deciderSpec(jobDecider);
const scheduled: JobEvent = { type: 'JobScheduled', data: { jobId: 'j1', orgId: 'o1', registryId: 'r1', type: 'scan', imageRef: 'app:1', source: 'operator' } };
const assigned: JobEvent = { type: 'JobAssigned', data: { jobId: 'j1', sensorId: 's1' } };
const completed: JobEvent = { type: 'JobCompleted', data: { jobId: 'j1', sensorId: 's1' } };
const report = (status: 'completed' | 'failed' | 'cancelled', sensorId: string | undefined = 's1', orgId = 'o1'): JobCommand => ({ type: 'Report', jobId: 'j1', orgId, sensorId, status, error: ' disk full ' });
const schedule = (status: 'ACTIVE' | 'ERROR'): JobCommand => ({
  type: 'Schedule',
  jobId: 'j1',
  orgId: 'o1',
  registry: { id: 'r1', name: 'harbor', status, reason: status === 'ERROR' ? 'Sensor "a" is offline' : null },
  jobType: 'scan',
  imageRef: 'app:1',
  source: 'operator',
});

describe('job decider', () => {
  describe('scheduling', () => {
    it('schedules a job for an active registry', () => given([]).when(schedule('ACTIVE')).then([scheduled]));

    it('fails a job at once when its registry is in ERROR, saying why', () =>
      given([])
        .when(schedule('ERROR'))
        .then([scheduled, { type: 'JobFailed', data: { jobId: 'j1', reason: 'Registry "harbor" is in ERROR: Sensor "a" is offline' } }]));
  });

  describe('assignment', () => {
    it('hands a waiting job to a sensor', () => given([scheduled]).when({ type: 'Assign', sensorId: 's1' }).then([assigned]));
    it('never hands out a job twice', () => given([scheduled, assigned]).when({ type: 'Assign', sensorId: 's2' }).then([]));
  });

  describe('reports', () => {
    it('records the outcome the assigned sensor reports', () => given([scheduled, assigned]).when(report('completed')).then([completed]));

    it('keeps the sensor’s error, trimmed, as the reason of a failure', () =>
      given([scheduled, assigned])
        .when(report('failed'))
        .then([{ type: 'JobFailed', data: { jobId: 'j1', sensorId: 's1', reason: 'disk full' } }]));

    it('answers "not found" for a job of another org', () => given([scheduled, assigned]).when(report('completed', 's1', 'o2')).thenFails('not_found'));
    it('answers "not found" for an unknown job', () => given([]).when(report('completed')).thenFails('not_found'));
    it('refuses a report from a sensor the job is not assigned to (403)', () => given([scheduled, assigned]).when(report('completed', 's2')).thenFails('forbidden'));
    it('refuses a report on a job no sensor runs (403)', () => given([scheduled]).when(report('completed')).thenFails('forbidden'));
    it('answers an identical repeat as before, with nothing new', () => given([scheduled, assigned, completed]).when(report('completed')).then([]));
    it('refuses a different outcome for a finished job (409)', () => given([scheduled, assigned, completed]).when(report('failed')).thenFails('conflict', /already completed/));
  });

  describe('results', () => {
    const results = { scanStatus: 'SUCCESS', vulnerabilityCounts: { critical: 1, high: 2 }, riskScore: 7.5 };
    const upload = (sensorId: string | undefined = 's1', changes = {}): JobCommand => ({ type: 'RecordResults', jobId: 'j1', orgId: 'o1', sensorId, results: { ...results, ...changes } });
    const uploaded: JobEvent = { type: 'JobResultsUploaded', data: { jobId: 'j1', ...results } };
    it('takes results from the sensor running the job', () => given([scheduled, assigned]).when(upload()).then([uploaded]));
    it('refuses results from another sensor, or for a job no sensor runs (403)', () => {
      given([scheduled, assigned]).when(upload('s2')).thenFails('forbidden');
      given([scheduled, assigned]).when({ ...upload(), sensorId: undefined } as JobCommand).thenFails('forbidden');
      given([scheduled]).when(upload()).thenFails('forbidden');
    });
    it('answers "not found" for another org’s job', () => given([scheduled, assigned]).when({ ...upload(), orgId: 'o2' } as JobCommand).thenFails('not_found'));
    it('answers an identical repeat as before; refuses different results (409)', () => {
      given([scheduled, assigned, uploaded]).when(upload('s1', { vulnerabilityCounts: { high: 2, critical: 1 } })).then([]);
      given([scheduled, assigned, uploaded]).when(upload('s1', { riskScore: 1 })).thenFails('conflict');
    });
    it('refuses results for a job that already ended (409)', () => given([scheduled, assigned, completed]).when(upload()).thenFails('conflict', /already completed/));
  });

  describe('cancellation', () => {
    it('cancels a running job, naming its sensor', () =>
      given([scheduled, assigned])
        .when({ type: 'Cancel', jobId: 'j1', orgId: 'o1' })
        .then([{ type: 'JobCancelled', data: { jobId: 'j1', sensorId: 's1', reason: 'cancelled by operator' } }]));
    it('cancelling twice changes nothing', () =>
      given([scheduled, { type: 'JobCancelled', data: { jobId: 'j1', reason: 'cancelled by operator' } }]).when({ type: 'Cancel', jobId: 'j1', orgId: 'o1' }).then([]));
    it('refuses to cancel a finished job (409)', () => given([scheduled, assigned, completed]).when({ type: 'Cancel', jobId: 'j1', orgId: 'o1' }).thenFails('conflict'));
  });

  describe('when the sensor or registry goes away', () => {
    it('fails an unfinished job of a lost sensor', () =>
      given([scheduled, assigned])
        .when({ type: 'FailUnfinished', reason: 'sensor lost connection' })
        .then([{ type: 'JobFailed', data: { jobId: 'j1', reason: 'sensor lost connection', sensorId: 's1' } }]));
    it('leaves a finished job alone', () => given([scheduled, assigned, completed]).when({ type: 'FailUnfinished', reason: 'sensor deleted' }).then([]));
    it('cancels a waiting job of a deleted registry', () =>
      given([scheduled])
        .when({ type: 'EndPending', outcome: 'cancelled', reason: 'registry deleted' })
        .then([{ type: 'JobCancelled', data: { jobId: 'j1', reason: 'registry deleted' } }]));
    it('ends only jobs still waiting', () => given([scheduled, assigned]).when({ type: 'EndPending', outcome: 'failed', reason: 'Registry in ERROR' }).then([]));
  });

  describe('jobs that would never end', () => {
    const HOUR = 60 * 60 * 1000;
    const assignedAt = Date.parse(SPEC_TIME);
    const timeOut = (at: number): JobCommand => ({ type: 'TimeOut', at, timeoutMs: HOUR });
    it('fails a running job "timed out" once the time limit has passed since its assignment', () =>
      given([scheduled, assigned])
        .when(timeOut(assignedAt + HOUR))
        .then([{ type: 'JobFailed', data: { jobId: 'j1', reason: 'timed out', sensorId: 's1' } }]));
    it('leaves a job within its time limit, or one already ended, alone', () => {
      given([scheduled, assigned]).when(timeOut(assignedAt + HOUR - 1)).then([]);
      given([scheduled, assigned, completed]).when(timeOut(assignedAt + 2 * HOUR)).then([]);
    });

    const scanner = { capabilities: ['scan'], detailsKnown: true };
    it('fails a job at once when no sensor is bound, or none bound can run its type, saying why', () => {
      given([]).when({ ...schedule('ACTIVE'), takers: [] } as JobCommand).then([scheduled, { type: 'JobFailed', data: { jobId: 'j1', reason: 'No sensor is bound to registry "harbor"' } }]);
      given([])
        .when({ ...schedule('ACTIVE'), jobType: 'patch', takers: [scanner] } as JobCommand)
        .then([{ ...scheduled, data: { ...scheduled.data, type: 'patch' } } as JobEvent, { type: 'JobFailed', data: { jobId: 'j1', reason: 'No sensor bound to registry "harbor" can run patch jobs' } }]);
    });
    it('keeps a job a bound sensor can take, or might once it sends its details', () => {
      given([]).when({ ...schedule('ACTIVE'), takers: [scanner] } as JobCommand).then([scheduled]);
      given([]).when({ ...schedule('ACTIVE'), jobType: 'patch', takers: [{ capabilities: [], detailsKnown: false }] } as JobCommand).then([{ ...scheduled, data: { ...scheduled.data, type: 'patch' } } as JobEvent]);
    });
    it('fails a waiting job when the registry is left with no sensor able to take it', () => {
      given([scheduled]).when({ type: 'FailIfUntakeable', registryName: 'harbor', takers: [] }).then([{ type: 'JobFailed', data: { jobId: 'j1', reason: 'No sensor is bound to registry "harbor"' } }]);
      given([scheduled]).when({ type: 'FailIfUntakeable', registryName: 'harbor', takers: [scanner] }).then([]);
      given([scheduled, assigned]).when({ type: 'FailIfUntakeable', registryName: 'harbor', takers: [] }).then([]);
    });
  });
});
