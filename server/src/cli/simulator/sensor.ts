import type { Clock } from './clock.js';
import type { SensorConfig } from './config.js';
import type { AgentClient, HttpResult } from './http.js';
import { JobRunner } from './jobs.js';
import { clip, type Logger } from './logger.js';
import type { Random } from './random.js';
import type { SimStats } from './stats.js';
import { AGENT_PATHS, readAgentId, readJobsAnswer, toRunnableJob, type HeartbeatRequest } from './wire.js';

export interface SensorDeps {
  client: AgentClient;
  clock: Clock;
  random: Random;
  stats: SimStats;
  logger: Logger;
}

export type SensorState = 'waiting' | 'registering' | 'running' | 'flapping' | 'dead' | 'hung' | 'gave-up' | 'stopped';

/** Final states: the sensor sends nothing more. */
const ENDED: ReadonlySet<SensorState> = new Set(['dead', 'hung', 'gave-up', 'stopped']);

/**
 * One sensor agent: registers, then heartbeats, polls and runs jobs like the
 * deployed agent, on an injectable clock and fetch.
 */
export class SimulatedSensor {
  #state: SensorState = 'waiting';
  #agentId: string | undefined;
  #bootedAt = 0;
  #offline = false;
  #pollRequested = false;
  #wake: AbortController | undefined;
  readonly #stop = new AbortController();

  constructor(
    readonly config: SensorConfig,
    private readonly deps: SensorDeps,
  ) {}

  get name(): string {
    return this.config.profile.name;
  }
  get state(): SensorState {
    return this.#state;
  }
  get agentId(): string | undefined {
    return this.#agentId;
  }

  /** Stops the sensor (Ctrl-C); a sensor that already died or hung keeps that state. */
  stop(): void {
    this.#end('stopped');
  }

  /** Runs until the sensor stops, dies, hangs or gives up registering. */
  async run(): Promise<void> {
    const { clock } = this.deps;
    const stop = this.#stop.signal;
    if (!(await clock.sleep(this.config.timing.startDelayMs, stop))) return;
    this.#bootedAt = clock.now();
    this.#state = 'registering';
    const agentId = await this.#register();
    if (agentId === undefined) return;
    this.#agentId = agentId;
    this.#state = 'running';
    const jobs = new JobRunner({
      ...this.deps,
      timing: this.config.timing,
      profile: this.config.profile,
      agentId,
      stop,
      request: (method, path, body) => this.#request(method, path, body),
      hangMidJob: this.config.fate.kind === 'hang',
      onHang: () => this.#end('hung'),
      onJobEnded: () => this.#pollNow(),
    });
    await Promise.all([this.#heartbeatLoop(jobs), this.#pollLoop(jobs), this.#fate()]);
    await jobs.idle();
  }

  #end(state: SensorState): void {
    if (ENDED.has(this.#state)) return;
    this.#state = state;
    this.#stop.abort();
  }

  async #register(): Promise<string | undefined> {
    const { timing, profile } = this.config;
    const { stats, clock, logger } = this.deps;
    let backoff = timing.registerBackoffMs;
    for (let attempt = 1; attempt <= timing.registerAttempts; attempt++) {
      stats.registerAttempts++;
      const result = await this.#request('POST', AGENT_PATHS.register, profile);
      if (result.kind === 'aborted') return undefined;
      if (result.kind === 'ok') {
        const agentId = readAgentId(result.body);
        if (agentId !== undefined) {
          stats.registered++;
          return agentId;
        }
        logger.warn(`${this.name} register: answer without an agentId`);
      }
      if (attempt === timing.registerAttempts) break;
      if (!(await clock.sleep(backoff, this.#stop.signal))) return undefined;
      backoff = Math.min(backoff * 2, timing.registerBackoffCapMs);
    }
    stats.registerGaveUp++;
    logger.warn(`${this.name} register: giving up after ${timing.registerAttempts} attempts`);
    this.#end('gave-up');
    return undefined;
  }

  /** Fixed-rate ticks, so slow answers do not stretch the cadence. */
  async #heartbeatLoop(jobs: JobRunner): Promise<void> {
    const { clock, stats } = this.deps;
    const period = this.config.timing.heartbeatMs;
    for (let next = clock.now(); !this.#stop.signal.aborted; ) {
      const body: HeartbeatRequest = {
        agentId: this.#agentId ?? '',
        status: jobs.busy ? 'scanning' : 'idle',
        activeScans: jobs.busy ? 1 : 0,
        uptimeSeconds: Math.floor((clock.now() - this.#bootedAt) / 1000),
      };
      // During an outage the tick passes unsent; it is not a failure the server caused.
      if (this.#offline) stats.requestsSuppressed++;
      else {
        const result = await this.#request('POST', AGENT_PATHS.heartbeat, body);
        if (result.kind === 'ok') stats.heartbeatsOk++;
        else if (result.kind !== 'aborted') stats.heartbeatsFailed++;
      }
      // Like a ticker, skip ticks missed behind a slow answer instead of bursting to catch up.
      do next += period;
      while (next <= clock.now());
      if (!(await clock.sleep(next - clock.now(), this.#stop.signal))) return;
    }
  }

  async #pollLoop(jobs: JobRunner): Promise<void> {
    const { clock } = this.deps;
    while (!this.#stop.signal.aborted) {
      await this.#poll(jobs);
      if (this.#pollRequested) {
        this.#pollRequested = false;
        continue;
      }
      this.#wake = new AbortController();
      await clock.sleep(this.config.timing.pollMs, this.#stop.signal, this.#wake.signal);
      this.#wake = undefined;
      this.#pollRequested = false;
    }
  }

  /** A job just ended: poll straight away instead of waiting for the next tick. */
  #pollNow(): void {
    this.#pollRequested = true;
    this.#wake?.abort();
  }

  async #poll(jobs: JobRunner): Promise<void> {
    const { stats, logger } = this.deps;
    if (this.#offline) {
      stats.requestsSuppressed++;
      return;
    }
    const path = AGENT_PATHS.jobs(this.#agentId ?? '');
    stats.polls++;
    const first = await this.#request('GET', path);
    if (first.kind !== 'ok') {
      if (first.kind !== 'aborted') stats.pollsFailed++;
      return;
    }
    const answer = readJobsAnswer(first.body);
    let rawJobs = answer.jobs;
    if (rawJobs === undefined) {
      // Older dashboards answer a bare array; the agent asks again and reads it as one.
      const second = await this.#request('GET', path);
      if (second.kind === 'ok' && Array.isArray(second.body)) rawJobs = second.body;
      else if (second.kind !== 'aborted') stats.pollsFailed++;
    }
    for (const id of answer.cancelJobs) await jobs.cancel(id);
    for (const raw of rawJobs ?? []) {
      const job = toRunnableJob(raw);
      if ('skip' in job) {
        const id = typeof raw === 'object' && raw !== null && 'id' in raw ? String(raw.id) : '';
        if (jobs.remember(id)) {
          stats.jobsSkipped++;
          logger.warn(`${this.name} poll: skipped ${job.skip}`);
        }
      } else {
        jobs.enqueue(job);
      }
    }
  }

  async #fate(): Promise<void> {
    const { fate } = this.config;
    const { clock } = this.deps;
    const stop = this.#stop.signal;
    if (fate.kind === 'die') {
      if (await clock.sleep(fate.afterMs, stop)) this.#end('dead');
    } else if (fate.kind === 'flap') {
      if (!(await clock.sleep(fate.afterMs, stop))) return;
      this.#offline = true;
      this.#state = 'flapping';
      const back = await clock.sleep(fate.forMs, stop);
      this.#offline = false;
      if (back) this.#state = 'running';
    }
  }

  /** Every request goes through here: flapping suppresses it, failures are counted and logged. */
  async #request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<HttpResult> {
    const { stats, logger, client } = this.deps;
    if (this.#offline) {
      stats.requestsSuppressed++;
      return { kind: 'network-error', message: 'network unreachable' };
    }
    stats.requests++;
    const signal = this.#stop.signal;
    const result = method === 'GET' ? await client.get(path, signal) : await client.post(path, body, signal);
    const route = path.split('?')[0];
    if (result.kind === 'http-error') {
      stats.recordHttpError(result.status);
      logger.warn(`${this.name} ${method} ${route} -> ${result.status} ${clip(result.bodyText)}`);
    } else if (result.kind === 'network-error') {
      stats.networkErrors++;
      logger.warn(`${this.name} ${method} ${route} -> ${result.message}`);
    }
    return result;
  }
}
