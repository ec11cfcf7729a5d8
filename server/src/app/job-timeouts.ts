import type { EventData } from '@harborguard/shared';
import type { ModelEvent } from '../domain/model-event.js';
import type { JobService } from './job-service.js';
import type { Services } from './services.js';

/**
 * One timer per running job, due at its assignment + the time limit, on the service's clock.
 * After a restart the timers are armed again from each running job's `assignedAt`, so a job
 * that ran out while the service was down fails at once.
 */
export class JobTimeouts {
  private readonly timers = new Map<string, unknown>();

  constructor(
    private readonly services: Services,
    private readonly jobs: JobService,
    private readonly timeoutMs: number,
    private readonly log: (line: string) => void,
  ) {}

  startAll(): void {
    for (const job of this.services.states.all('job')) if (job.status === 'assigned') this.arm(job.id);
  }

  handle(events: ModelEvent[]): void {
    for (const event of events) {
      const { jobId } = event.data as EventData<'JobAssigned'>;
      if (event.type === 'JobAssigned') this.arm(jobId);
      else if (event.type === 'JobCompleted' || event.type === 'JobFailed' || event.type === 'JobCancelled') this.disarm(jobId);
    }
  }

  stopAll(): void {
    for (const timer of this.timers.values()) this.services.clock.clearTimeout(timer);
    this.timers.clear();
  }

  private arm(jobId: string): void {
    const { clock, states } = this.services;
    this.disarm(jobId);
    const assignedAt = states.state('job', jobId)?.assignedAt;
    if (!assignedAt) return;
    const dueIn = Date.parse(assignedAt) + this.timeoutMs - clock.now();
    const fire = () => {
      this.timers.delete(jobId);
      this.jobs.timeOut(jobId, this.timeoutMs).catch((error: unknown) => this.log(`could not time out job ${jobId}: ${String(error)}`));
    };
    this.timers.set(jobId, clock.setTimeout(fire, Math.max(0, dueIn)));
  }

  private disarm(jobId: string): void {
    const timer = this.timers.get(jobId);
    if (timer === undefined) return;
    this.services.clock.clearTimeout(timer);
    this.timers.delete(jobId);
  }
}
