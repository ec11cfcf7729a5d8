import type { JobOutcome, JobResultsSummary, JobRow, JobType, RegistryStatus } from '@harborguard/shared';
import type { Decider, EventsOf, Evolving } from './decider.js';
import { AppError } from './errors.js';

export interface Job extends JobRow {
  orgId: string;
}

export type JobState = Job | null;

export type JobEvent = EventsOf<'JobScheduled' | 'JobAssigned' | 'JobResultsUploaded' | 'JobCompleted' | 'JobFailed' | 'JobCancelled'>;

export const FINISHED_JOB_STATUSES: ReadonlySet<JobRow['status']> = new Set(['completed', 'failed', 'cancelled']);

export const REASON_SENSOR_LOST = 'sensor lost connection';
export const REASON_TIMED_OUT = 'timed out';

/** A sensor bound to the job's registry, as far as taking jobs goes. */
export interface Taker {
  capabilities: readonly string[];
  /** False until the sensor has sent its details (a row re-created from a bare heartbeat). */
  detailsKnown: boolean;
}

/**
 * Why no sensor can ever take a job of this type on this registry, or null when one can: a
 * sensor takes only the job types its capabilities list. A bound sensor whose details are not
 * known yet might list it once it registers, so it counts as able.
 */
export function whyNoTaker(jobType: JobType, registryName: string, takers: readonly Taker[]): string | null {
  if (takers.length === 0) return `No sensor is bound to registry "${registryName}"`;
  if (takers.some((taker) => !taker.detailsKnown || taker.capabilities.includes(jobType))) return null;
  return `No sensor bound to registry "${registryName}" can run ${jobType} jobs`;
}

export type JobCommand =
  | {
      type: 'Schedule';
      jobId: string;
      orgId: string;
      registry: { id: string; name: string; status: RegistryStatus; reason: string | null };
      jobType: JobType;
      imageRef: string;
      source: 'operator' | 'schedule';
      /** The registry's bound sensors; a job none of them can take fails at once. */
      takers?: readonly Taker[] | undefined;
    }
  | { type: 'Assign'; sensorId: string }
  /** The job ran past its time limit (`at`: now, server time in ms). */
  | { type: 'TimeOut'; at: number; timeoutMs: number }
  /** The registry's bound sensors changed: a waiting job none of them can take fails. */
  | { type: 'FailIfUntakeable'; registryName: string; takers: readonly Taker[] }
  /** `sensorId`: the sensor reporting, or undefined when the caller is not the sensor the job is assigned to. */
  | { type: 'Report'; jobId: string; orgId: string; sensorId: string | undefined; status: JobOutcome; error?: string | undefined }
  /** `sensorId`: the sensor uploading, or undefined when the caller is not the sensor the job is assigned to. */
  | { type: 'RecordResults'; jobId: string; orgId: string; sensorId: string | undefined; results: JobResultsSummary }
  | { type: 'Cancel'; jobId: string; orgId: string }
  /** The job's sensor went away (offline or deleted): an unfinished job fails. */
  | { type: 'FailUnfinished'; reason: string }
  /** The registry can no longer run waiting jobs (deleted, or in ERROR). */
  | { type: 'EndPending'; outcome: 'failed' | 'cancelled'; reason: string };

/** A job of the org, or "not found". */
export function ownJob(state: JobState, orgId: string, jobId: string): Job {
  if (!state || state.orgId !== orgId) throw new AppError('not_found', `Job ${jobId} not found`);
  return state;
}

const isFinished = (job: Job) => FINISHED_JOB_STATUSES.has(job.status);

function schedule(command: Extract<JobCommand, { type: 'Schedule' }>, state: JobState): JobEvent[] {
  if (state) throw new AppError('conflict', `Job ${command.jobId} already exists`);
  const { jobId, orgId, registry, jobType: type, imageRef, source } = command;
  const events: JobEvent[] = [{ type: 'JobScheduled', data: { jobId, orgId, registryId: registry.id, type, imageRef, source } }];
  // A registry in ERROR fails its scans at once instead of letting them pile up.
  if (registry.status === 'ERROR') {
    events.push({ type: 'JobFailed', data: { jobId, reason: `Registry "${registry.name}" is in ERROR: ${registry.reason ?? 'no connected sensor'}` } });
    return events;
  }
  const noTaker = command.takers && whyNoTaker(type, registry.name, command.takers);
  if (noTaker) events.push({ type: 'JobFailed', data: { jobId, reason: noTaker } });
  return events;
}

/**
 * Only the sensor the job is assigned to reports on it (403 otherwise); a finished job takes no
 * other outcome (409), but the same report again is answered as before.
 */
function report(command: Extract<JobCommand, { type: 'Report' }>, state: JobState): JobEvent[] {
  const job = ownJob(state, command.orgId, command.jobId);
  if (job.sensorId === null || job.sensorId !== command.sensorId) throw new AppError('forbidden', `Job ${job.id} is not assigned to this sensor`);
  if (isFinished(job)) {
    if (job.status === command.status) return [];
    throw new AppError('conflict', `Job ${job.id} already ${job.status}${job.reason ? `: ${job.reason}` : ''}`);
  }
  const jobId = job.id;
  const sensorId = job.sensorId;
  switch (command.status) {
    case 'completed':
      return [{ type: 'JobCompleted', data: { jobId, sensorId } }];
    case 'failed':
      return [{ type: 'JobFailed', data: { jobId, sensorId, reason: command.error?.trim() || 'failed on sensor' } }];
    case 'cancelled':
      return [{ type: 'JobCancelled', data: { jobId, sensorId, reason: 'cancelled on sensor' } }];
  }
}

const sameResults = (a: JobResultsSummary, b: JobResultsSummary) =>
  a.scanStatus === b.scanStatus && a.riskScore === b.riskScore && JSON.stringify(Object.entries(a.vulnerabilityCounts).sort()) === JSON.stringify(Object.entries(b.vulnerabilityCounts).sort());

/** Results come from the sensor running the job, once; the same upload again is answered as before. */
function recordResults(command: Extract<JobCommand, { type: 'RecordResults' }>, state: JobState): JobEvent[] {
  const job = ownJob(state, command.orgId, command.jobId);
  if (job.sensorId === null || job.sensorId !== command.sensorId) throw new AppError('forbidden', `Job ${job.id} is not assigned to this sensor`);
  if (job.results !== null) {
    if (sameResults(job.results, command.results)) return [];
    throw new AppError('conflict', `Job ${job.id} already has results`);
  }
  if (job.status !== 'assigned') throw new AppError('conflict', `Job ${job.id} already ${job.status}; results are taken while it runs`);
  return [{ type: 'JobResultsUploaded', data: { jobId: job.id, ...command.results } }];
}

function cancel(command: Extract<JobCommand, { type: 'Cancel' }>, state: JobState): JobEvent[] {
  const job = ownJob(state, command.orgId, command.jobId);
  if (job.status === 'cancelled') return [];
  if (isFinished(job)) throw new AppError('conflict', `Job ${job.id} already ${job.status}`);
  return [{ type: 'JobCancelled', data: { jobId: job.id, ...(job.sensorId ? { sensorId: job.sensorId } : {}), reason: 'cancelled by operator' } }];
}

export function decideJob(command: JobCommand, state: JobState): JobEvent[] {
  switch (command.type) {
    case 'Schedule':
      return schedule(command, state);
    case 'Assign':
      return state?.status === 'pending' ? [{ type: 'JobAssigned', data: { jobId: state.id, sensorId: command.sensorId } }] : [];
    case 'Report':
      return report(command, state);
    case 'RecordResults':
      return recordResults(command, state);
    case 'Cancel':
      return cancel(command, state);
    case 'FailUnfinished':
      if (!state || isFinished(state)) return [];
      return [{ type: 'JobFailed', data: { jobId: state.id, reason: command.reason, ...(state.sensorId ? { sensorId: state.sensorId } : {}) } }];
    case 'TimeOut':
      if (state?.status !== 'assigned' || state.assignedAt === null) return [];
      if (command.at < Date.parse(state.assignedAt) + command.timeoutMs) return [];
      return [{ type: 'JobFailed', data: { jobId: state.id, reason: REASON_TIMED_OUT, ...(state.sensorId ? { sensorId: state.sensorId } : {}) } }];
    case 'FailIfUntakeable': {
      if (state?.status !== 'pending') return [];
      const reason = whyNoTaker(state.type, command.registryName, command.takers);
      return reason ? [{ type: 'JobFailed', data: { jobId: state.id, reason } }] : [];
    }
    case 'EndPending':
      if (state?.status !== 'pending') return [];
      if (command.outcome === 'failed') return [{ type: 'JobFailed', data: { jobId: state.id, reason: command.reason } }];
      return [{ type: 'JobCancelled', data: { jobId: state.id, reason: command.reason } }];
  }
}

const finish = (job: Job, status: 'completed' | 'failed' | 'cancelled', reason: string | null, at: string): Job => ({ ...job, status, reason, finishedAt: at });

export function evolveJob(state: JobState, event: Evolving<JobEvent>): JobState {
  const at = event.metadata.occurredAt;
  if (event.type === 'JobScheduled') {
    const d = event.data;
    const { jobId: id, orgId, registryId, type, imageRef, source } = d;
    return { id, orgId, registryId, sensorId: null, type, imageRef, source, status: 'pending', reason: null, createdAt: at, assignedAt: null, finishedAt: null, results: null };
  }
  if (state === null) return state;
  switch (event.type) {
    case 'JobAssigned':
      return { ...state, status: 'assigned', sensorId: event.data.sensorId, assignedAt: at };
    case 'JobResultsUploaded': {
      const { scanStatus, vulnerabilityCounts, riskScore } = event.data;
      return { ...state, results: { scanStatus, vulnerabilityCounts: { ...vulnerabilityCounts }, riskScore } };
    }
    case 'JobCompleted':
      return finish(state, 'completed', null, at);
    case 'JobFailed':
      return finish(state, 'failed', event.data.reason, at);
    case 'JobCancelled':
      return finish(state, 'cancelled', event.data.reason ?? null, at);
  }
}

/** A job as the API shows it. */
export function toJobRow(job: Job): JobRow {
  const { orgId: _orgId, ...row } = job;
  return { ...row, results: row.results && { ...row.results, vulnerabilityCounts: { ...row.results.vulnerabilityCounts } } };
}

export const jobDecider: Decider<JobState, JobCommand, JobEvent> = {
  initialState: () => null,
  evolve: evolveJob,
  decide: decideJob,
};
