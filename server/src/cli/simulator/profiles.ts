import type { SensorFate } from './config.js';
import { between, type Random } from './random.js';
import type { RegisterRequest } from './wire.js';

export const AGENT_VERSION = '0.1.0';
/** Share of sensors that also advertise the `patch` capability. */
const PATCH_SHARE = 0.2;

/** Distinct, stable names: `<prefix>-sensor-0001` on host `<prefix>-host-0001`. */
export function sensorProfile(index: number, total: number, prefix: string, random: Random): RegisterRequest {
  const n = String(index + 1).padStart(Math.max(4, String(total).length), '0');
  return {
    name: `${prefix}-sensor-${n}`,
    version: AGENT_VERSION,
    hostname: `${prefix}-host-${n}`,
    os: 'linux',
    arch: random() < 0.75 ? 'amd64' : 'arm64',
    scannerVersions: { trivy: '0.58.1', grype: '0.86.1' },
    capabilities: random() < PATCH_SHARE ? ['scan', 'patch'] : ['scan'],
    s3Configured: random() < 0.3,
  };
}

export interface FateShares {
  die: number;
  flap: number;
  hang: number;
}

/** Simulated-time windows for the failure modes (ms after registration). */
export const FATE_WINDOWS = {
  dieAfter: [60_000, 300_000],
  flapAfter: [30_000, 180_000],
  /** Longer than two minutes, so a server must notice the sensor went offline. */
  flapFor: [150_000, 300_000],
} as const;

/**
 * Deals fates to a fleet: exact counts (share × size, rounded), disjoint, on
 * randomly chosen sensors.
 */
export function dealFates(total: number, shares: FateShares, random: Random): SensorFate[] {
  const order = Array.from({ length: total }, (_, i) => i);
  for (let i = total - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j] ?? j, order[i] ?? i];
  }
  const fates: SensorFate[] = Array.from({ length: total }, () => ({ kind: 'healthy' }));
  let cursor = 0;
  const assign = (share: number, make: () => SensorFate): void => {
    const count = Math.min(total - cursor, Math.round(share * total));
    for (let k = 0; k < count; k++, cursor++) fates[order[cursor] ?? cursor] = make();
  };
  const [dieMin, dieMax] = FATE_WINDOWS.dieAfter;
  const [flapMin, flapMax] = FATE_WINDOWS.flapAfter;
  const [forMin, forMax] = FATE_WINDOWS.flapFor;
  assign(shares.die, () => ({ kind: 'die', afterMs: between(random, dieMin, dieMax) }));
  assign(shares.flap, () => ({ kind: 'flap', afterMs: between(random, flapMin, flapMax), forMs: between(random, forMin, forMax) }));
  assign(shares.hang, () => ({ kind: 'hang' }));
  return fates;
}
