import { randomUUID } from 'node:crypto';
import type { DomainEvent, JobRow, JobType } from '@harborguard/shared';
import { FINISHED_JOB_STATUSES, toJobRow, type FleetModel, type Job, type JobResultsSummary, type Sensor } from '../domain/fleet-model.js';
import type { SensorSupervisor } from '../actors/sensor-supervisor.js';
import type { Clock } from '../core/clock.js';
import type { EventWriter, WriteContext } from './event-writer.js';
import type { KeyedSerializer } from './serializer.js';
import { AppError } from '../domain/errors.js';
import { registryLock, type RegistryService } from './registry-service.js';
import type { UserPrincipal } from './principal.js';

export const jobStream = (id: string) => `job-${id}`;

export type JobOutcome = 'completed' | 'failed' | 'cancelled';

export const REASON_SENSOR_LOST = 'sensor lost connection';

/** How many polls carry a cancellation before the sensor is assumed to have seen it. */
const CANCEL_DELIVERIES = 3;

/** Scans and patches: scheduled for a registry, handed to one of its sensors, reported back. */
export class JobService {
  private readonly cancellations = new Map<string, Map<string, number>>();

  constructor(
    private readonly state: FleetModel,
    private readonly writer: EventWriter,
    private readonly locks: KeyedSerializer,
    private readonly supervisor: SensorSupervisor,
    private readonly registries: RegistryService,
    private readonly clock: Clock,
  ) {}

  /** Schedules a job; on a registry in ERROR it fails at once instead of piling up. */
  async schedule(
    orgId: string,
    input: { registryId: string; imageRef: string; type: JobType; source: 'operator' | 'schedule' },
    context: WriteContext,
  ): Promise<JobRow> {
    return this.locks.run(registryLock(input.registryId), async () => {
      const registry = this.registries.own({ orgId }, input.registryId);
      const jobId = randomUUID();
      const events: Parameters<EventWriter['append']>[1] = [
        { type: 'JobScheduled', data: { jobId, orgId, registryId: registry.id, type: input.type, imageRef: input.imageRef, source: input.source } },
      ];
      if (registry.status === 'ERROR') {
        events.push({ type: 'JobFailed', data: { jobId, reason: `Registry "${registry.name}" is in ERROR: ${registry.reason ?? 'no connected sensor'}` } });
      }
      await this.writer.append(jobStream(jobId), events, context);
      return toJobRow(this.state.jobs.get(jobId)!);
    });
  }

  scanNow(principal: UserPrincipal, input: { registryId: string; imageRef: string; type?: JobType | undefined }): Promise<JobRow> {
    return this.schedule(principal.orgId, { registryId: input.registryId, imageRef: input.imageRef, type: input.type ?? 'scan', source: 'operator' }, userContext(principal, this.clock));
  }

  /** Operator cancellation; a running job's sensor learns it on its next poll. */
  async cancel(principal: UserPrincipal, jobId: string): Promise<JobRow> {
    const job = this.own(principal.orgId, jobId);
    const context = userContext(principal, this.clock);
    await this.locks.run(registryLock(job.registryId), async () => {
      if (job.status === 'cancelled') return;
      if (FINISHED_JOB_STATUSES.has(job.status)) throw new AppError('conflict', `Job ${jobId} already ${job.status}`);
      const sensorId = job.sensorId;
      await this.writer.append(jobStream(jobId), [{ type: 'JobCancelled', data: { jobId, ...(sensorId ? { sensorId } : {}), reason: 'cancelled by operator' } }], context);
      if (sensorId && this.supervisor.has(sensorId)) {
        const pending = this.cancellations.get(sensorId) ?? new Map<string, number>();
        this.cancellations.set(sensorId, pending.set(jobId, 0));
        await this.supervisor.send(sensorId, { type: 'JOB_ENDED', jobId, at: context.at, outcome: 'cancelled' }, context);
      }
    });
    return toJobRow(job);
  }

  /** Hands a sensor the oldest pending job of its registry that it is able to run. */
  async assignNext(sensor: Sensor, context: WriteContext): Promise<Job | null> {
    const registryId = sensor.registryId;
    if (registryId === null || !this.state.pendingJobs.has(registryId)) return null;
    return this.locks.run(registryLock(registryId), async () => {
      const registry = this.state.registries.get(registryId);
      if (!registry || registry.deleted || sensor.deleted || sensor.registryId !== registryId) return null;
      const live = this.supervisor.live(sensor.id);
      if (!live || live.status !== 'online') return null;
      const queue = this.state.pendingJobs.get(registryId) ?? [];
      const job = queue.map((id) => this.state.jobs.get(id)!).find((candidate) => sensor.capabilities.includes(candidate.type));
      if (!job) return null;
      await this.writer.append(jobStream(job.id), [{ type: 'JobAssigned', data: { jobId: job.id, sensorId: sensor.id } }], context);
      await this.supervisor.send(sensor.id, { type: 'JOB_STARTED', jobId: job.id, at: context.at }, context);
      return job;
    });
  }

  /**
   * A sensor's report on a job it ran. Unknown → 404, another sensor's → 403, already
   * finished → 409, except an identical repeat, which is answered as before.
   */
  async report(
    reporter: { orgId: string; apiKeyId: string; sensorId?: string | undefined },
    input: { jobId: string; status: JobOutcome; error?: string | undefined },
    context: WriteContext,
  ): Promise<JobRow> {
    const job = this.own(reporter.orgId, input.jobId);
    return this.locks.run(registryLock(job.registryId), async () => {
      const sensor = job.sensorId === null ? undefined : this.state.sensors.get(job.sensorId);
      const mine = sensor !== undefined && (reporter.sensorId === undefined ? sensor.apiKeyId === reporter.apiKeyId : sensor.id === reporter.sensorId);
      if (!mine) throw new AppError('forbidden', `Job ${job.id} is not assigned to this sensor`);
      this.cancellations.get(sensor.id)?.delete(job.id);
      if (FINISHED_JOB_STATUSES.has(job.status)) {
        if (job.status === input.status) return toJobRow(job);
        throw new AppError('conflict', `Job ${job.id} already ${job.status}${job.reason ? `: ${job.reason}` : ''}`);
      }
      const jobId = job.id;
      const sensorId = sensor.id;
      const event =
        input.status === 'completed'
          ? ({ type: 'JobCompleted', data: { jobId, sensorId } } as const)
          : input.status === 'failed'
            ? ({ type: 'JobFailed', data: { jobId, sensorId, reason: input.error?.trim() || 'failed on sensor' } } as const)
            : ({ type: 'JobCancelled', data: { jobId, sensorId, reason: 'cancelled on sensor' } } as const);
      await this.writer.append(jobStream(jobId), [event], context);
      if (this.supervisor.has(sensorId)) await this.supervisor.send(sensorId, { type: 'JOB_ENDED', jobId, at: context.at, outcome: input.status }, context);
      return toJobRow(job);
    });
  }

  /** Stores the summary of an uploaded scan on its job; findings are not kept. */
  async recordResults(reporter: { orgId: string }, jobId: string, results: JobResultsSummary, context: WriteContext): Promise<void> {
    const job = this.own(reporter.orgId, jobId);
    await this.locks.run(registryLock(job.registryId), () =>
      this.writer.append(jobStream(jobId), [{ type: 'JobResultsUploaded', data: { jobId, ...results } }], context),
    );
  }

  /** Fails a job whose sensor went away (offline or deleted), unless it already ended. */
  async failUnfinished(jobId: string, reason: string, context: WriteContext): Promise<void> {
    const job = this.state.jobs.get(jobId);
    if (!job) return;
    await this.locks.run(registryLock(job.registryId), async () => {
      if (FINISHED_JOB_STATUSES.has(job.status)) return;
      await this.writer.append(jobStream(jobId), [{ type: 'JobFailed', data: { jobId, reason, ...(job.sensorId ? { sensorId: job.sensorId } : {}) } }], { ...context, orgId: job.orgId });
    });
  }

  /** Pending jobs of a deleted registry can never run. */
  cancelPending(registryId: string, context: WriteContext): Promise<void> {
    return this.endPending(registryId, context, (jobId) => ({ type: 'JobCancelled', data: { jobId, reason: 'registry deleted' } }));
  }

  /** Pending jobs of a registry in ERROR fail at once, like new ones would. */
  failPending(registryId: string, reason: string, context: WriteContext): Promise<void> {
    return this.endPending(registryId, context, (jobId) => ({ type: 'JobFailed', data: { jobId, reason } }));
  }

  private endPending(registryId: string, context: WriteContext, end: (jobId: string) => DomainEvent): Promise<void> {
    return this.locks.run(registryLock(registryId), async () => {
      for (const jobId of [...(this.state.pendingJobs.get(registryId) ?? [])]) {
        const job = this.state.jobs.get(jobId);
        if (job?.status === 'pending') await this.writer.append(jobStream(jobId), [end(jobId)], { ...context, orgId: job.orgId });
      }
    });
  }

  /**
   * Ids to send in a sensor's `cancelJobs`: jobs cancelled while it ran them, until it reports
   * on them or has been told a few times.
   */
  takeCancellations(sensorId: string): string[] {
    const pending = this.cancellations.get(sensorId);
    if (!pending) return [];
    const ids = [...pending.keys()];
    for (const [jobId, told] of pending) {
      if (told + 1 >= CANCEL_DELIVERIES) pending.delete(jobId);
      else pending.set(jobId, told + 1);
    }
    if (pending.size === 0) this.cancellations.delete(sensorId);
    return ids;
  }

  private own(orgId: string, jobId: string): Job {
    const job = this.state.jobs.get(jobId);
    if (!job || job.orgId !== orgId) throw new AppError('not_found', `Job ${jobId} not found`);
    return job;
  }
}

export function userContext(principal: UserPrincipal, clock: Clock): WriteContext {
  return { orgId: principal.orgId, actor: { kind: 'user', id: principal.tokenId }, at: clock.now() };
}
