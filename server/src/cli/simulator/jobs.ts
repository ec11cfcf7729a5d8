import type { Clock } from './clock.js';
import type { SensorTiming } from './config.js';
import { buildScanEnvelope } from './envelope.js';
import type { HttpResult } from './http.js';
import type { Logger } from './logger.js';
import { between, type Random } from './random.js';
import type { SimStats } from './stats.js';
import { AGENT_PATHS, type JobStatusReport, type RegisterRequest, type RunnableJob } from './wire.js';

export interface JobContext {
  clock: Clock;
  random: Random;
  stats: SimStats;
  logger: Logger;
  timing: SensorTiming;
  profile: RegisterRequest;
  agentId: string;
  /** Aborted when the sensor stops, dies or hangs: the job is dropped without a report. */
  stop: AbortSignal;
  request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<HttpResult>;
  hangMidJob: boolean;
  onHang(): void;
  onJobEnded(): void;
}

/** Remembered job ids; bounded because a long run sees an unbounded number of jobs. */
const SEEN_LIMIT = 1_000;

/** Runs jobs one at a time, in the order they were received. */
export class JobRunner {
  readonly #queue: RunnableJob[] = [];
  readonly #seen = new Set<string>();
  #current: { id: string; cancel: AbortController } | undefined;
  #worker: Promise<void> | undefined;

  constructor(private readonly ctx: JobContext) {}

  get busy(): boolean {
    return this.#current !== undefined;
  }

  /** Settles when the queue is drained (or the sensor stopped). */
  idle(): Promise<void> {
    return this.#worker ?? Promise.resolve();
  }

  /** Marks an id as handled; returns false when it was seen before (a server may re-send a job). */
  remember(id: string): boolean {
    if (this.#seen.has(id)) return false;
    this.#seen.add(id);
    if (this.#seen.size > SEEN_LIMIT) {
      const oldest = this.#seen.values().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
    return true;
  }

  enqueue(job: RunnableJob): void {
    if (!this.remember(job.id)) return;
    this.#queue.push(job);
    this.#worker ??= this.#drain();
  }

  async cancel(id: string): Promise<void> {
    if (this.#current?.id === id) {
      this.#current.cancel.abort();
      return;
    }
    const queued = this.#queue.findIndex((job) => job.id === id);
    if (queued >= 0) {
      this.#queue.splice(queued, 1);
      this.ctx.stats.jobsCancelled++;
      await this.#report(id, { status: 'cancelled' });
    }
  }

  async #drain(): Promise<void> {
    for (let job = this.#queue.shift(); job && !this.ctx.stop.aborted; job = this.#queue.shift()) {
      await this.#run(job);
      if (this.ctx.stop.aborted) break;
      this.ctx.onJobEnded();
    }
    this.#worker = undefined;
  }

  async #run(job: RunnableJob): Promise<void> {
    const { clock, random, stats, timing, stop } = this.ctx;
    const cancel = new AbortController();
    this.#current = { id: job.id, cancel };
    stats.jobsStarted++;
    const startedAt = clock.wallTime();
    const duration = between(random, timing.jobMinMs, timing.jobMaxMs);
    try {
      if (this.ctx.hangMidJob) {
        if (await clock.sleep(duration / 2, stop)) this.ctx.onHang();
        return;
      }
      const finished = await clock.sleep(duration, stop, cancel.signal);
      if (stop.aborted) return;
      if (!finished) {
        stats.jobsCancelled++;
        await this.#report(job.id, { status: 'cancelled' });
        return;
      }
      const error = await this.#finish(job, startedAt);
      if (stop.aborted) return;
      if (error === undefined) stats.jobsDone++;
      else stats.jobsFailed++;
      await this.#report(job.id, error === undefined ? { status: 'completed' } : { status: 'failed', error });
    } finally {
      this.#current = undefined;
    }
  }

  /** Produces the job's outcome; returns an error message when it failed. */
  async #finish(job: RunnableJob, startedAt: Date): Promise<string | undefined> {
    const { random, timing, profile, stats } = this.ctx;
    if (job.kind === 'patch' && !profile.capabilities.includes('patch')) return 'patch capability not enabled on this sensor';
    if (random() < timing.jobFailShare) return job.kind === 'scan' ? 'scanner exited with status 1' : 'patch build failed';
    if (job.kind === 'patch') return undefined;
    const envelope = buildScanEnvelope({
      jobId: job.id,
      agentId: this.ctx.agentId,
      sensor: profile,
      scan: job.scan,
      startedAt,
      finishedAt: this.ctx.clock.wallTime(),
      random,
    });
    const upload = await this.ctx.request('POST', AGENT_PATHS.upload, envelope);
    if (upload.kind === 'ok') {
      stats.uploadsOk++;
      return undefined;
    }
    if (upload.kind === 'aborted') return 'stopped';
    stats.uploadsFailed++;
    return upload.kind === 'http-error' ? `upload failed: HTTP ${upload.status}` : `upload failed: ${upload.message}`;
  }

  async #report(jobId: string, report: JobStatusReport): Promise<void> {
    const result = await this.ctx.request('POST', AGENT_PATHS.jobStatus(jobId), report);
    if (result.kind === 'http-error' || result.kind === 'network-error') this.ctx.stats.statusReportsFailed++;
  }
}
