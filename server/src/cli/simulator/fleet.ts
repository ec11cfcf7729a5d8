import { createClock, type Clock } from './clock.js';
import { DEFAULT_TIMING, type SensorTiming } from './config.js';
import { AgentClient, type FetchLike } from './http.js';
import { silentLogger, type Logger } from './logger.js';
import { dealFates, sensorProfile, type FateShares } from './profiles.js';
import type { Random } from './random.js';
import { Semaphore } from './semaphore.js';
import { SimulatedSensor, type SensorState } from './sensor.js';
import { SimStats } from './stats.js';

export interface FleetOptions {
  url: string;
  apiKey: string;
  sensors: number;
  /** Clock multiplier; ignored when `clock` is given. */
  speed?: number;
  /** Overrides of the agent defaults, in simulated milliseconds. */
  timing?: Partial<SensorTiming>;
  fates?: Partial<FateShares>;
  namePrefix?: string;
  /** Most requests in flight across the fleet (and so most open connections). */
  concurrency?: number;
  fetch?: FetchLike;
  clock?: Clock;
  random?: Random;
  logger?: Logger;
}

export type StateCounts = Record<SensorState, number>;

/** Runs many simulated sensors against one server, sharing a connection budget and counters. */
export class Fleet {
  readonly stats = new SimStats();
  readonly sensors: readonly SimulatedSensor[];
  readonly clock: Clock;
  #running: Promise<void> | undefined;

  constructor(options: FleetOptions) {
    if (!Number.isInteger(options.sensors) || options.sensors < 0) throw new RangeError('sensors must be a non-negative integer');
    const random = options.random ?? Math.random;
    this.clock = options.clock ?? createClock(options.speed ?? 1);
    const client = new AgentClient({
      baseUrl: options.url,
      apiKey: options.apiKey,
      fetch: options.fetch ?? ((url, init) => fetch(url, init)),
      limiter: new Semaphore(options.concurrency ?? 256),
    });
    const timing: SensorTiming = { ...DEFAULT_TIMING, ...options.timing };
    const total = options.sensors;
    const fates = dealFates(total, { die: 0, flap: 0, hang: 0, ...options.fates }, random);
    const deps = { client, clock: this.clock, random, stats: this.stats, logger: options.logger ?? silentLogger };
    this.sensors = fates.map(
      (fate, i) =>
        new SimulatedSensor(
          {
            profile: sensorProfile(i, total, options.namePrefix ?? 'sim', random),
            fate,
            // Spread start-up over one heartbeat interval so the fleet does not arrive at once.
            timing: { ...timing, startDelayMs: (timing.heartbeatMs * i) / Math.max(1, total) },
          },
          deps,
        ),
    );
  }

  /** Starts every sensor; settles when all of them have ended. */
  run(): Promise<void> {
    this.#running ??= Promise.all(this.sensors.map((s) => s.run())).then(() => undefined);
    return this.#running;
  }

  /** Stops every sensor and waits for in-flight requests to settle. */
  async stop(): Promise<void> {
    for (const sensor of this.sensors) sensor.stop();
    await this.#running;
  }

  states(): StateCounts {
    const counts: StateCounts = { waiting: 0, registering: 0, running: 0, flapping: 0, dead: 0, hung: 0, 'gave-up': 0, stopped: 0 };
    for (const sensor of this.sensors) counts[sensor.state]++;
    return counts;
  }
}
