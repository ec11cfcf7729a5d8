import type { EventData } from '@harborguard/shared';
import { REASON_SENSOR_LOST } from '../domain/job.js';
import type { ModelEvent } from '../domain/model-event.js';
import type { WriteContext } from '../core/event-writer.js';
import type { JobService } from './job-service.js';
import type { RegistryService } from './registry-service.js';
import type { Services } from './services.js';

const REACTIONS = { kind: 'system', id: 'reactions' } as const;
const RECONCILE = { kind: 'system', id: 'reconcile' } as const;

/**
 * What follows from a stored sensor or registry event: the registry's status, the fate of
 * the sensor's job, waiting jobs of a deleted registry. Every reaction is a command whose
 * decider checks the current state, so running one twice (or again after a restart) changes
 * nothing.
 */
export class Reactions {
  constructor(
    private readonly services: Services,
    private readonly jobs: JobService,
    private readonly registries: RegistryService,
    private readonly log: (line: string) => void,
  ) {}

  handle(events: ModelEvent[]): void {
    for (const event of events) {
      const correlationId = event.metadata['correlationId'];
      const context: WriteContext = {
        orgId: String(event.metadata['orgId']),
        actor: REACTIONS,
        at: Date.parse(event.metadata.occurredAt),
        causationId: `${event.streamName}@${event.revision}`,
        ...(typeof correlationId === 'string' ? { correlationId } : {}),
      };
      this.react(event, context);
    }
  }

  /** After a restart: settle whatever a crash may have left half done. */
  async reconcile(at: number): Promise<void> {
    const { states, supervisor, indexes } = this.services;
    const context = (orgId: string): WriteContext => ({ orgId, actor: RECONCILE, at });
    const work: Promise<unknown>[] = [];
    for (const job of states.all('job')) {
      if (job.status !== 'assigned' || job.sensorId === null) continue;
      const live = supervisor.live(job.sensorId);
      if (!live || live.status !== 'scanning' || live.jobId !== job.id) work.push(this.jobs.failUnfinished(job.id, REASON_SENSOR_LOST, context(job.orgId)));
    }
    for (const registry of states.all('registry')) {
      if (!registry.deleted) work.push(this.registries.settleStatus(registry.id, context(registry.orgId)));
      if (!registry.deleted && indexes.hasPendingJobs(registry.id)) work.push(this.jobs.failUntakeable(registry.id, context(registry.orgId)));
      else if (indexes.hasPendingJobs(registry.id)) work.push(this.jobs.cancelPending(registry.id, context(registry.orgId)));
    }
    await Promise.all(work);
  }

  private react(event: ModelEvent, context: WriteContext): void {
    switch (event.type) {
      case 'SensorWentOffline': {
        const data = event.data as EventData<'SensorWentOffline'>;
        if (data.jobId) this.run(this.jobs.failUnfinished(data.jobId, REASON_SENSOR_LOST, context));
        return this.settleRegistryOf(data.sensorId, context);
      }
      case 'SensorCameOnline':
        return this.settleRegistryOf((event.data as EventData<'SensorCameOnline'>).sensorId, context);
      case 'SensorBoundToRegistry': {
        const data = event.data as EventData<'SensorBoundToRegistry'>;
        this.run(this.registries.settleStatus(data.registryId, context, data.sensorId));
        if (data.previousRegistryId) this.run(this.registries.settleStatus(data.previousRegistryId, context, data.sensorId));
        if (data.previousRegistryId) this.run(this.jobs.failUntakeable(data.previousRegistryId, context));
        return;
      }
      case 'SensorDeleted': {
        const { sensorId } = event.data as EventData<'SensorDeleted'>;
        for (const jobId of this.services.indexes.assignedJobs(sensorId)) this.run(this.jobs.failUnfinished(jobId, 'sensor deleted', context));
        this.failUntakeableOf(sensorId, context);
        return this.settleRegistryOf(sensorId, context);
      }
      case 'SensorDetailsChanged':
        // New capabilities may leave a registry's waiting jobs with no sensor able to take them.
        if ((event.data as EventData<'SensorDetailsChanged'>).changes.capabilities) this.failUntakeableOf((event.data as EventData<'SensorDetailsChanged'>).sensorId, context);
        return;
      case 'RegistryStatusChanged': {
        // Scans waiting for a registry that just lost its last sensor fail now rather than pile up.
        const data = event.data as EventData<'RegistryStatusChanged'>;
        if (data.to === 'ERROR') this.run(this.jobs.failPending(data.registryId, `Registry in ERROR: ${data.reason}`, context));
        return;
      }
      case 'RegistryDeleted':
        return this.run(this.jobs.cancelPending((event.data as EventData<'RegistryDeleted'>).registryId, context));
    }
  }

  private settleRegistryOf(sensorId: string, context: WriteContext): void {
    const registryId = this.services.states.state('sensor', sensorId)?.registryId;
    if (registryId) this.run(this.registries.settleStatus(registryId, context, sensorId));
  }

  private failUntakeableOf(sensorId: string, context: WriteContext): void {
    const registryId = this.services.states.state('sensor', sensorId)?.registryId;
    if (registryId && this.services.indexes.hasPendingJobs(registryId)) this.run(this.jobs.failUntakeable(registryId, context));
  }

  private run(work: Promise<unknown>): void {
    work.catch((error: unknown) => this.log(`reaction failed: ${(error as Error).stack ?? String(error)}`));
  }
}
