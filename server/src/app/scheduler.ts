import { SCHEDULE_MAX_MS, SCHEDULE_MIN_MS } from '@harborguard/shared';
import type { ModelEvent } from '../domain/model-event.js';
import type { JobService } from './job-service.js';
import type { Services } from './services.js';

const SCHEDULER = { kind: 'system', id: 'scheduler' } as const;

/**
 * Interval schedules of registries: a scan of the registry each interval, never two waiting at
 * once, and never two within one interval, across restarts too (the next is due one interval
 * after the last one scheduled).
 */
export class RegistryScheduler {
  private readonly timers = new Map<string, unknown>();
  /** Registries whose stored interval was out of bounds, already reported. */
  private readonly clamped = new Set<string>();

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

  /** After a fire the next is a whole interval away; at load, one interval after the last scan scheduled. */
  private arm(registryId: string, afterFire = false): void {
    const { clock, states } = this.services;
    const existing = this.timers.get(registryId);
    if (existing !== undefined) clock.clearTimeout(existing);
    this.timers.delete(registryId);
    const registry = states.state('registry', registryId);
    if (!registry || registry.deleted || registry.scheduleIntervalMs === null) return;
    const interval = this.boundedInterval(registryId, registry.scheduleIntervalMs);
    const last = this.services.indexes.lastScheduledAt(registryId);
    const dueIn = afterFire || last === undefined ? interval : last + interval - clock.now();
    const fire = () =>
      this.fire(registryId)
        .catch((error: unknown) => this.log(`scheduled scan of registry ${registryId} failed: ${String(error)}`))
        .finally(() => this.arm(registryId, true));
    this.timers.set(registryId, clock.setTimeout(fire, Math.max(0, dueIn)));
  }

  /** Intervals stored before they were bounded are taken within the bounds. */
  private boundedInterval(registryId: string, stored: number): number {
    const interval = Math.min(SCHEDULE_MAX_MS, Math.max(SCHEDULE_MIN_MS, stored));
    if (interval !== stored && !this.clamped.has(registryId)) {
      this.clamped.add(registryId);
      this.log(`registry ${registryId}: stored schedule interval ${stored} ms is out of bounds; using ${interval} ms`);
    }
    return interval;
  }

  private async fire(registryId: string): Promise<void> {
    const { states, indexes, clock } = this.services;
    const registry = states.state('registry', registryId);
    if (!registry || registry.deleted) return;
    const alreadyWaiting = indexes.pendingJobs(registryId).some((id) => states.state('job', id)?.source === 'schedule');
    if (alreadyWaiting) return;
    await this.jobs.schedule(registry.orgId, { registryId, imageRef: registry.url, type: 'scan', source: 'schedule' }, { orgId: registry.orgId, actor: SCHEDULER, at: clock.now() });
  }
}
