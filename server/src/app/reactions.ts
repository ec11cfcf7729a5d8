import type { EventData } from '@harborguard/shared';
import type { ModelEvent, FleetModel } from '../domain/fleet-model.js';
import type { WriteContext } from './event-writer.js';
import { REASON_SENSOR_LOST, type JobService } from './job-service.js';
import type { RegistryService } from './registry-service.js';

/**
 * What follows from a stored sensor or registry event: the registry's status, the fate of
 * the sensor's job, pending jobs of a deleted registry. Every reaction checks current state
 * first, so running one twice (or again after a restart) changes nothing.
 */
export class Reactions {
  constructor(
    private readonly state: FleetModel,
    private readonly jobs: JobService,
    private readonly registries: RegistryService,
    private readonly log: (line: string) => void,
  ) {}

  handle(events: ModelEvent[]): void {
    for (const event of events) {
      const context: WriteContext = {
        orgId: String(event.metadata['orgId']),
        actor: { kind: 'system', id: 'reactions' },
        at: Date.parse(event.metadata.occurredAt),
        causationId: `${event.streamName}@${event.revision}`,
        ...(typeof event.metadata['correlationId'] === 'string' ? { correlationId: event.metadata['correlationId'] } : {}),
      };
      this.react(event, context);
    }
  }

  private react(event: ModelEvent, context: WriteContext): void {
    switch (event.type) {
      case 'SensorWentOffline': {
        const data = event.data as EventData<'SensorWentOffline'>;
        if (data.jobId) this.run(this.jobs.failUnfinished(data.jobId, REASON_SENSOR_LOST, context));
        this.reevaluateRegistryOf(data.sensorId, context);
        return;
      }
      case 'SensorCameOnline':
        this.reevaluateRegistryOf((event.data as EventData<'SensorCameOnline'>).sensorId, context);
        return;
      case 'SensorBoundToRegistry': {
        const data = event.data as EventData<'SensorBoundToRegistry'>;
        this.run(this.registries.reevaluate(data.registryId, context, data.sensorId));
        if (data.previousRegistryId) this.run(this.registries.reevaluate(data.previousRegistryId, context, data.sensorId));
        return;
      }
      case 'SensorDeleted': {
        const { sensorId } = event.data as EventData<'SensorDeleted'>;
        for (const jobId of this.state.jobHistory(sensorId)) {
          if (this.state.jobs.get(jobId)?.status === 'assigned') this.run(this.jobs.failUnfinished(jobId, 'sensor deleted', context));
        }
        this.reevaluateRegistryOf(sensorId, context);
        return;
      }
      case 'RegistryStatusChanged': {
        // Scans waiting for a registry that just lost its last sensor fail now rather than pile up.
        const data = event.data as EventData<'RegistryStatusChanged'>;
        if (data.to === 'ERROR') this.run(this.jobs.failPending(data.registryId, `Registry in ERROR: ${data.reason}`, context));
        return;
      }
      case 'RegistryDeleted':
        this.run(this.jobs.cancelPending((event.data as EventData<'RegistryDeleted'>).registryId, context));
        return;
    }
  }

  /** After a restart: settle whatever a crash may have left half done. */
  async reconcile(at: number, liveStatus: (sensorId: string) => { status: string; jobId: string | null } | undefined): Promise<void> {
    const context = (orgId: string): WriteContext => ({ orgId, actor: { kind: 'system', id: 'reconcile' }, at });
    const work: Promise<unknown>[] = [];
    for (const job of this.state.jobs.values()) {
      if (job.status !== 'assigned' || job.sensorId === null) continue;
      const live = liveStatus(job.sensorId);
      if (!live || live.status !== 'scanning' || live.jobId !== job.id) {
        work.push(this.jobs.failUnfinished(job.id, REASON_SENSOR_LOST, context(job.orgId)));
      }
    }
    for (const registry of this.state.registries.values()) {
      if (registry.deleted) {
        if (this.state.pendingJobs.has(registry.id)) work.push(this.jobs.cancelPending(registry.id, context(registry.orgId)));
      } else {
        work.push(this.registries.reevaluate(registry.id, context(registry.orgId)));
      }
    }
    await Promise.all(work);
  }

  private reevaluateRegistryOf(sensorId: string, context: WriteContext): void {
    const registryId = this.state.sensors.get(sensorId)?.registryId;
    if (registryId) this.run(this.registries.reevaluate(registryId, context, sensorId));
  }

  private run(work: Promise<unknown>): void {
    work.catch((error: unknown) => this.log(`reaction failed: ${(error as Error).stack ?? String(error)}`));
  }
}
