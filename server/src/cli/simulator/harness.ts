import { afterEach, beforeEach, vi } from 'vitest';
import { createClock } from './clock.js';
import { DEFAULT_TIMING, type SensorFate, type SensorTiming } from './config.js';
import type { FakeAgentApi, Route } from './fake-agent-api.js';
import { AgentClient } from './http.js';
import { silentLogger } from './logger.js';
import { sensorProfile } from './profiles.js';
import type { Random } from './random.js';
import { SimulatedSensor } from './sensor.js';
import { SimStats } from './stats.js';
import type { RegisterRequest } from './wire.js';

export interface HarnessOptions {
  fate?: SensorFate;
  timing?: Partial<SensorTiming>;
  speed?: number;
  random?: Random;
  profile?: Partial<RegisterRequest>;
}

/** Starts one sensor against a fake API on the global (in tests: fake) timers. */
export function startSensor(api: FakeAgentApi, options: HarnessOptions = {}) {
  const stats = new SimStats();
  const random = options.random ?? (() => 0.5);
  const sensor = new SimulatedSensor(
    {
      profile: { ...sensorProfile(0, 1, 'test', random), ...options.profile },
      fate: options.fate ?? { kind: 'healthy' },
      timing: { ...DEFAULT_TIMING, jobFailShare: 0, ...options.timing },
    },
    {
      client: new AgentClient({ baseUrl: 'http://hg.test/', apiKey: 'hg_test_key', fetch: api.fetch }),
      clock: createClock(options.speed ?? 1),
      random,
      stats,
      logger: silentLogger,
    },
  );
  let finished = false;
  const done = sensor.run().then(() => {
    finished = true;
  });
  return { sensor, stats, done, isFinished: () => finished };
}

/**
 * Runs every test of the calling file on fake timers. `sinceStart` turns a time into milliseconds since
 * the test began; `times` lists when a route was called, the same way.
 */
export function onFakeTimers() {
  let startedAt = 0;
  beforeEach(() => {
    vi.useFakeTimers();
    startedAt = Date.now();
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const sinceStart = (at: number) => at - startedAt;
  return {
    sinceStart,
    startedAt: () => startedAt,
    times: (api: FakeAgentApi, route: Route) => api.of(route).map((request) => sinceStart(request.at)),
  };
}
