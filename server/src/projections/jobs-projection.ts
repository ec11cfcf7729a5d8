import { defineProjection, type ProjectionContext } from './projection.js';
import { recordsOf, type Job, type Sensor } from './records.js';

const NO_JOBS: readonly string[] = [];

/** The token of the person who caused an event, from its metadata; null for sensors and the system. */
function userOf(metadata: Record<string, unknown>): string | null {
  const actor = metadata['actor'] as { kind?: unknown; id?: unknown } | undefined;
  return actor?.kind === 'user' && typeof actor.id === 'string' ? actor.id : null;
}

/** Where other read models keep what job records point to. */
export interface JobLinks {
  registryIdOf(registryId: string): string;
  /** A live sensor, whose row shows its recent jobs. */
  liveSensor(sensorId: string): Sensor | undefined;
}

/** Jobs, with the jobs waiting per registry (oldest first) and each sensor's job history (oldest first). */
export class JobsState {
  readonly jobs = new Map<string, Job>();
  readonly pendingJobs = new Map<string, string[]>();
  private readonly history = new Map<string, string[]>();

  constructor(readonly links: JobLinks) {}

  /** Ids of the jobs a sensor was assigned, oldest first. */
  jobHistory(sensorId: string): readonly string[] {
    return this.history.get(sensorId) ?? NO_JOBS;
  }

  historyOf(sensorId: string): string[] {
    let history = this.history.get(sensorId);
    if (!history) this.history.set(sensorId, (history = []));
    return history;
  }

  queueOf(registryId: string): string[] {
    let queue = this.pendingJobs.get(registryId);
    if (!queue) this.pendingJobs.set(registryId, (queue = []));
    return queue;
  }

  removePending(job: Job): void {
    const queue = this.pendingJobs.get(job.registryId);
    if (!queue) return;
    const index = queue.indexOf(job.id);
    if (index >= 0) queue.splice(index, 1);
    if (queue.length === 0) this.pendingJobs.delete(job.registryId);
  }

  update(jobId: string, context: ProjectionContext, update: (job: Job) => void): void {
    const job = this.jobs.get(jobId);
    if (!job) return;
    update(job);
    context.touch('job', jobId);
    if (job.sensorId !== null && this.links.liveSensor(job.sensorId)) context.changes.sensors.add(job.sensorId);
  }

  finish(jobId: string, status: 'completed' | 'failed' | 'cancelled', reason: string | null, at: string, context: ProjectionContext): void {
    this.update(jobId, context, (job) => {
      this.removePending(job);
      job.status = status;
      job.reason = reason;
      job.finishedAt = context.time(at);
    });
  }
}

export const jobsProjection = (links: JobLinks) =>
  defineProjection({
    name: 'jobs',
    initialState: new JobsState(links),
    evolve: {
      JobScheduled: (state, d, e, context) => {
        const { jobId: id, orgId, type, imageRef, source } = d;
        const registryId = state.links.registryIdOf(d.registryId);
        const createdAt = context.time(e.metadata.occurredAt);
        const job: Job = { id, orgId, registryId, sensorId: null, type, imageRef, source, requestedBy: userOf(e.metadata), status: 'pending', reason: null, createdAt, assignedAt: null, finishedAt: null, results: null, seq: state.jobs.size, assignedSeq: null };
        state.jobs.set(id, job);
        state.queueOf(registryId).push(id);
        context.touch('job', id);
      },
      JobAssigned: (state, d, e, context) =>
        state.update(d.jobId, context, (job) => {
          state.removePending(job);
          const sensorId = state.links.liveSensor(d.sensorId)?.id ?? d.sensorId;
          const history = state.historyOf(sensorId);
          job.status = 'assigned';
          job.sensorId = sensorId;
          job.assignedAt = context.time(e.metadata.occurredAt);
          job.assignedSeq = history.length;
          history.push(job.id);
        }),
      JobResultsUploaded: (state, d, _e, context) =>
        state.update(d.jobId, context, (job) => void (job.results = { scanStatus: d.scanStatus, vulnerabilityCounts: { ...d.vulnerabilityCounts }, riskScore: d.riskScore })),
      JobCompleted: (state, d, e, context) => state.finish(d.jobId, 'completed', null, e.metadata.occurredAt, context),
      JobFailed: (state, d, e, context) => state.finish(d.jobId, 'failed', d.reason, e.metadata.occurredAt, context),
      JobCancelled: (state, d, e, context) => state.finish(d.jobId, 'cancelled', d.reason ?? null, e.metadata.occurredAt, context),
    },
    load: (state, records) => {
      const jobs = [...recordsOf<Job>(records, 'job')].sort((a, b) => a.seq - b.seq);
      for (const job of jobs) {
        state.jobs.set(job.id, job);
        if (job.status === 'pending') state.queueOf(job.registryId).push(job.id);
      }
      const assigned = jobs.filter((job) => job.sensorId !== null && job.assignedSeq !== null).sort((a, b) => a.assignedSeq! - b.assignedSeq!);
      for (const job of assigned) state.historyOf(job.sensorId!).push(job.id);
    },
  });
