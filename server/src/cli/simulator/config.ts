import type { RegisterRequest } from './wire.js';

/** What befalls a sensor during a run; times are simulated milliseconds after registration. */
export type SensorFate =
  | { kind: 'healthy' }
  /** Stops for good: no more requests, a running job is abandoned unreported. */
  | { kind: 'die'; afterMs: number }
  /** Sends nothing for `forMs` (a network outage), then carries on with the same agent id. */
  | { kind: 'flap'; afterMs: number; forMs: number }
  /** Freezes halfway through its first job: no status, no heartbeat, ever again. */
  | { kind: 'hang' };

export interface SensorTiming {
  heartbeatMs: number;
  pollMs: number;
  /** Delay before the sensor "boots", so a fleet does not start in lock-step. */
  startDelayMs: number;
  jobMinMs: number;
  jobMaxMs: number;
  /** Share of jobs that fail on the sensor (scanner error) before any upload. */
  jobFailShare: number;
  registerAttempts: number;
  registerBackoffMs: number;
  registerBackoffCapMs: number;
}

/** The agent's own defaults (see the wire protocol); every value is simulated time. */
export const DEFAULT_TIMING: SensorTiming = {
  heartbeatMs: 30_000,
  pollMs: 10_000,
  startDelayMs: 0,
  jobMinMs: 3_000,
  jobMaxMs: 15_000,
  jobFailShare: 0.05,
  registerAttempts: 10,
  registerBackoffMs: 1_000,
  registerBackoffCapMs: 30_000,
};

export interface SensorConfig {
  profile: RegisterRequest;
  fate: SensorFate;
  timing: SensorTiming;
}
