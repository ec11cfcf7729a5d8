import type { ModelEvent, FleetModel } from '../domain/fleet-model.js';
import type { Clock } from '../core/clock.js';
import type { JobService } from './job-service.js';

/** Interval schedules of registries: a scan of the registry each interval, never two waiting at once. */
export class RegistryScheduler {
  private readonly timers = new Map<string, unknown>();

  constructor(
    private readonly state: FleetModel,
    private readonly jobs: JobService,
    private readonly clock: Clock,
    private readonly log: (line: string) => void,
  ) {}

  startAll(): void {
    for (const registry of this.state.registries.values()) this.arm(registry.id);
  }

  handle(events: ModelEvent[]): void {
    for (const event of events) {
      if (event.type === 'RegistryCreated' || event.type === 'RegistryScheduleChanged' || event.type === 'RegistryDeleted') {
        this.arm((event.data as { registryId: string }).registryId);
      }
    }
  }

  stopAll(): void {
    for (const timer of this.timers.values()) this.clock.clearTimeout(timer);
    this.timers.clear();
  }

  private arm(registryId: string): void {
    const existing = this.timers.get(registryId);
    if (existing !== undefined) this.clock.clearTimeout(existing);
    this.timers.delete(registryId);
    const registry = this.state.registries.get(registryId);
    if (!registry || registry.deleted || registry.scheduleIntervalMs === null) return;
    this.timers.set(
      registryId,
      this.clock.setTimeout(() => {
        this.fire(registryId)
          .catch((error: unknown) => this.log(`scheduled scan of registry ${registryId} failed: ${String(error)}`))
          .finally(() => this.arm(registryId));
      }, registry.scheduleIntervalMs),
    );
  }

  private async fire(registryId: string): Promise<void> {
    const registry = this.state.registries.get(registryId);
    if (!registry || registry.deleted) return;
    const alreadyWaiting = (this.state.pendingJobs.get(registryId) ?? []).some((id) => this.state.jobs.get(id)?.source === 'schedule');
    if (alreadyWaiting) return;
    await this.jobs.schedule(
      registry.orgId,
      { registryId, imageRef: registry.url, type: 'scan', source: 'schedule' },
      { orgId: registry.orgId, actor: { kind: 'system', id: 'scheduler' }, at: this.clock.now() },
    );
  }
}
