import { randomUUID } from 'node:crypto';
import type { JobOutcome, JobResultsSummary, JobRow, JobType } from '@harborguard/shared';
import { jobDecider, ownJob, toJobRow, type Job, type JobCommand, type Taker } from '../domain/job.js';
import type { Sensor } from '../domain/sensor.js';
import { jobStream } from '../domain/streams.js';
import type { WriteContext } from '../core/event-writer.js';
import type { UserPrincipal } from './principal.js';
import type { RegistryService } from './registry-service.js';
import { registryLock, userContext, type Services } from './services.js';
import { CancellationNotices } from './cancellation-notices.js';

const JOB_TIMER = { kind: 'system', id: 'job-timeout' } as const;

/** Scans and patches: scheduled for a registry, handed to one of its sensors, reported back. */
export class JobService {
  readonly cancellations = new CancellationNotices();

  constructor(
    private readonly services: Services,
    private readonly registries: RegistryService,
  ) {}

  /** Schedules a job; on a registry in ERROR it fails at once instead of piling up. */
  async schedule(orgId: string, input: { registryId: string; imageRef: string; type: JobType; source: 'operator' | 'schedule' }, context: WriteContext): Promise<JobRow> {
    this.services.writer.refuseWhileAway(context);
    return this.services.locks.run(registryLock(input.registryId), async () => {
      const { id, name, status, reason } = this.registries.own({ orgId }, input.registryId);
      const jobId = randomUUID();
      const takers = this.takers(id);
      const command: JobCommand = { type: 'Schedule', jobId, orgId, registry: { id, name, status, reason }, jobType: input.type, imageRef: input.imageRef, source: input.source, takers };
      return this.run(jobId, command, context);
    });
  }

  scanNow(principal: UserPrincipal, input: { registryId: string; imageRef: string; type?: JobType | undefined }): Promise<JobRow> {
    const job = { registryId: input.registryId, imageRef: input.imageRef, type: input.type ?? 'scan', source: 'operator' } as const;
    return this.schedule(principal.orgId, job, userContext(principal, this.services));
  }

  /** Operator cancellation; a running job's sensor learns it on its next poll. */
  async cancel(principal: UserPrincipal, jobId: string): Promise<JobRow> {
    const job = this.own(principal.orgId, jobId);
    const context = userContext(principal, this.services);
    this.services.writer.refuseWhileAway(context);
    return this.services.locks.run(registryLock(job.registryId), async () => {
      const { events, state } = await this.services.handler.handle(jobStream(jobId), jobDecider, { type: 'Cancel', jobId, orgId: principal.orgId }, context);
      const sensorId = state!.sensorId;
      if (events.length > 0 && sensorId && this.services.supervisor.has(sensorId)) {
        this.cancellations.notify(sensorId, jobId);
        await this.services.supervisor.send(sensorId, { type: 'JOB_ENDED', jobId, at: context.at, outcome: 'cancelled' }, context);
      }
      return toJobRow(state!);
    });
  }

  /** Hands a sensor the oldest waiting job of its registry that it is able to run. */
  async assignNext(sensor: Sensor, context: WriteContext): Promise<Job | null> {
    const { locks, indexes, states, supervisor, handler } = this.services;
    const registryId = sensor.registryId;
    // While the store is away a poll is answered without a job: handing one out needs appends.
    if (registryId === null || !indexes.hasPendingJobs(registryId) || !this.services.writer.availability.available) return null;
    return locks.run(registryLock(registryId), async () => {
      if (supervisor.status(sensor.id) !== 'online') return null;
      const job = indexes
        .pendingJobs(registryId)
        .map((id) => states.state('job', id)!)
        .find((candidate) => sensor.capabilities.includes(candidate.type));
      if (!job) return null;
      const { state } = await handler.handle(jobStream(job.id), jobDecider, { type: 'Assign', sensorId: sensor.id }, context);
      await supervisor.send(sensor.id, { type: 'JOB_STARTED', jobId: job.id, at: context.at }, context);
      return state;
    });
  }

  /** A sensor's report on a job it ran (see the job decider for who may report what). */
  async report(reporter: { orgId: string; sensorId: string | undefined }, input: { jobId: string; status: JobOutcome; error?: string | undefined }, context: WriteContext): Promise<JobRow> {
    const job = this.own(reporter.orgId, input.jobId);
    this.services.writer.refuseWhileAway(context);
    return this.services.locks.run(registryLock(job.registryId), async () => {
      const command: JobCommand = { type: 'Report', jobId: input.jobId, orgId: reporter.orgId, sensorId: reporter.sensorId, status: input.status, error: input.error };
      // The sensor that reports on a job knows whether it was cancelled.
      if (reporter.sensorId !== undefined && job.sensorId === reporter.sensorId) this.cancellations.forget(reporter.sensorId, job.id);
      const { events, state } = await this.services.handler.handle(jobStream(input.jobId), jobDecider, command, context);
      const sensorId = state!.sensorId!;
      if (events.length > 0 && this.services.supervisor.has(sensorId)) {
        await this.services.supervisor.send(sensorId, { type: 'JOB_ENDED', jobId: input.jobId, at: context.at, outcome: input.status }, context);
      }
      return toJobRow(state!);
    });
  }

  /** Stores the summary of an uploaded scan on its job; findings are not kept. */
  async recordResults(reporter: { orgId: string; sensorId: string | undefined }, jobId: string, results: JobResultsSummary, context: WriteContext): Promise<void> {
    const job = this.own(reporter.orgId, jobId);
    const command: JobCommand = { type: 'RecordResults', jobId, orgId: reporter.orgId, sensorId: reporter.sensorId, results };
    this.services.writer.refuseWhileAway(context);
    await this.services.locks.run(registryLock(job.registryId), () => this.services.handler.handle(jobStream(jobId), jobDecider, command, context));
  }

  /** Fails a job whose sensor went away (offline or deleted), unless it already ended. */
  async failUnfinished(jobId: string, reason: string, context: WriteContext): Promise<void> {
    const job = this.services.states.state('job', jobId);
    if (!job) return;
    await this.services.locks.run(registryLock(job.registryId), () => this.run(jobId, { type: 'FailUnfinished', reason }, { ...context, orgId: job.orgId }));
  }

  /**
   * A job past its time limit fails "timed out"; its sensor returns to online and is told to
   * stop it on its next poll.
   */
  async timeOut(jobId: string, timeoutMs: number): Promise<void> {
    const job = this.services.states.state('job', jobId);
    if (!job) return;
    const { clock, supervisor, handler, locks } = this.services;
    const context: WriteContext = { orgId: job.orgId, actor: JOB_TIMER, at: clock.now() };
    await locks.run(registryLock(job.registryId), async () => {
      const { events, state } = await handler.handle(jobStream(jobId), jobDecider, { type: 'TimeOut', at: context.at, timeoutMs }, context);
      const sensorId = state?.sensorId;
      if (events.length === 0 || !sensorId || supervisor.live(sensorId)?.jobId !== jobId) return;
      this.cancellations.notify(sensorId, jobId);
      await supervisor.send(sensorId, { type: 'JOB_ENDED', jobId, at: context.at, outcome: 'failed' }, context);
    });
  }

  /** Waiting jobs of a registry whose bound sensors changed fail when none of those can take them. */
  failUntakeable(registryId: string, context: WriteContext): Promise<void> {
    return this.services.locks.run(registryLock(registryId), async () => {
      const registry = this.services.states.state('registry', registryId);
      if (!registry || registry.deleted) return;
      const command: JobCommand = { type: 'FailIfUntakeable', registryName: registry.name, takers: this.takers(registryId) };
      for (const jobId of this.services.indexes.pendingJobs(registryId)) await this.run(jobId, command, { ...context, orgId: registry.orgId });
    });
  }

  /** The sensors bound to a registry, as far as taking its jobs goes. */
  private takers(registryId: string): Taker[] {
    const takers: Taker[] = [];
    for (const sensorId of this.services.indexes.sensorsBoundTo(registryId)) {
      const sensor = this.services.states.state('sensor', sensorId);
      if (sensor && !sensor.deleted) takers.push({ capabilities: sensor.capabilities, detailsKnown: sensor.name !== '' || sensor.hostname !== '' });
    }
    return takers;
  }

  /** Waiting jobs of a deleted registry can never run. */
  cancelPending(registryId: string, context: WriteContext): Promise<void> {
    return this.endPending(registryId, { type: 'EndPending', outcome: 'cancelled', reason: 'registry deleted' }, context);
  }

  /** Waiting jobs of a registry in ERROR fail at once, like new ones would. */
  failPending(registryId: string, reason: string, context: WriteContext): Promise<void> {
    return this.endPending(registryId, { type: 'EndPending', outcome: 'failed', reason }, context);
  }

  private endPending(registryId: string, command: JobCommand, context: WriteContext): Promise<void> {
    return this.services.locks.run(registryLock(registryId), async () => {
      for (const jobId of this.services.indexes.pendingJobs(registryId)) {
        const job = this.services.states.state('job', jobId)!;
        await this.run(jobId, command, { ...context, orgId: job.orgId });
      }
    });
  }

  private async run(jobId: string, command: JobCommand, context: WriteContext): Promise<JobRow> {
    const { state } = await this.services.handler.handle(jobStream(jobId), jobDecider, command, context);
    return toJobRow(state!);
  }

  private own(orgId: string, jobId: string): Job {
    return ownJob(this.services.states.state('job', jobId), orgId, jobId);
  }
}
