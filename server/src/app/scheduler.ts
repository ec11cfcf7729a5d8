import type { ModelEvent } from '../domain/model-event.js';
import { jobStream, registryStream } from '../domain/streams.js';
import type { JobService } from './job-service.js';
import type { Services } from './services.js';

const SCHEDULER = { kind: 'system', id: 'scheduler' } as const;

/** Interval schedules of registries: a scan of the registry each interval, never two waiting at once. */
export class RegistryScheduler {
  private readonly timers = new Map<string, unknown>();

  constructor(
    private readonly services: Services,
    private readonly jobs: JobService,
    private readonly log: (line: string) => void,
  ) {}

  startAll(): void {
    for (const registry of this.services.states.all('registry')) this.arm(registry.id);
  }

  handle(events: ModelEvent[]): void {
    for (const event of events) {
      if (event.type === 'RegistryCreated' || event.type === 'RegistryScheduleChanged' || event.type === 'RegistryDeleted') {
        this.arm((event.data as { registryId: string }).registryId);
      }
    }
  }

  stopAll(): void {
    for (const timer of this.timers.values()) this.services.clock.clearTimeout(timer);
    this.timers.clear();
  }

  private arm(registryId: string): void {
    const { clock, states } = this.services;
    const existing = this.timers.get(registryId);
    if (existing !== undefined) clock.clearTimeout(existing);
    this.timers.delete(registryId);
    const registry = states.state('registry', registryStream(registryId));
    if (!registry || registry.deleted || registry.scheduleIntervalMs === null) return;
    const fire = () =>
      this.fire(registryId)
        .catch((error: unknown) => this.log(`scheduled scan of registry ${registryId} failed: ${String(error)}`))
        .finally(() => this.arm(registryId));
    this.timers.set(registryId, clock.setTimeout(fire, registry.scheduleIntervalMs));
  }

  private async fire(registryId: string): Promise<void> {
    const { states, indexes, clock } = this.services;
    const registry = states.state('registry', registryStream(registryId));
    if (!registry || registry.deleted) return;
    const alreadyWaiting = indexes.pendingJobs(registryId).some((id) => states.state('job', jobStream(id))?.source === 'schedule');
    if (alreadyWaiting) return;
    await this.jobs.schedule(registry.orgId, { registryId, imageRef: registry.url, type: 'scan', source: 'schedule' }, { orgId: registry.orgId, actor: SCHEDULER, at: clock.now() });
  }
}
