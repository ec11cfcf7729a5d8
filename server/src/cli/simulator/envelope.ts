import { intBetween, pick, type Random } from './random.js';
import type { RegisterRequest, ScanSpec } from './wire.js';

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';
const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];
/** Weight of each severity in the risk score; keeps scores plausible (0–100). */
const RISK_WEIGHT: Record<Severity, number> = { critical: 10, high: 5, medium: 2, low: 0.5, info: 0 };
const PACKAGES = ['openssl', 'glibc', 'zlib', 'curl', 'busybox', 'libxml2', 'expat', 'sqlite', 'ncurses', 'pcre2'];

export interface ScanEnvelope {
  version: '1.0';
  sensor: { agentId: string; name: string; hostname: string; version: string; scannerVersions: Record<string, string> };
  image: { ref: string; source: string };
  scan: { id: string; startedAt: string; finishedAt: string; status: 'SUCCESS' | 'PARTIAL' | 'FAILED'; scanners: string[] };
  findings: { vulnerabilities: Array<{ id: string; severity: Severity; packageName: string; installedVersion: string; fixedVersion?: string }> };
  aggregates: { vulnerabilityCounts: Record<Severity, number>; riskScore: number };
}

export interface EnvelopeInput {
  jobId: string;
  agentId: string;
  sensor: RegisterRequest;
  scan: ScanSpec;
  startedAt: Date;
  finishedAt: Date;
  random: Random;
}

/** A plausible scan result: a handful of findings with counts and score that agree with them. */
export function buildScanEnvelope(input: EnvelopeInput): ScanEnvelope {
  const { random } = input;
  const counts: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  const vulnerabilities: ScanEnvelope['findings']['vulnerabilities'] = [];
  const total = intBetween(random, 0, 12);
  for (let i = 0; i < total; i++) {
    // Skewed towards the milder end, as real images are.
    const severity = SEVERITIES[Math.min(4, Math.floor(random() ** 0.6 * 5))] ?? 'low';
    counts[severity]++;
    const finding = {
      id: `CVE-20${intBetween(random, 18, 26)}-${intBetween(random, 1000, 49999)}`,
      severity,
      packageName: pick(random, PACKAGES),
      installedVersion: `1.${intBetween(random, 0, 9)}.${intBetween(random, 0, 20)}`,
    };
    vulnerabilities.push(random() < 0.7 ? { ...finding, fixedVersion: `1.${intBetween(random, 10, 12)}.0` } : finding);
  }
  const riskScore = Math.min(100, Math.round(SEVERITIES.reduce((sum, s) => sum + counts[s] * RISK_WEIGHT[s], 0)));
  const scanners = input.scan.scanners.length > 0 ? input.scan.scanners : Object.keys(input.sensor.scannerVersions);
  return {
    version: '1.0',
    sensor: {
      agentId: input.agentId,
      name: input.sensor.name,
      hostname: input.sensor.hostname,
      version: input.sensor.version,
      scannerVersions: input.sensor.scannerVersions,
    },
    image: { ref: input.scan.imageRef, source: input.scan.source },
    scan: {
      id: input.jobId,
      startedAt: input.startedAt.toISOString(),
      finishedAt: input.finishedAt.toISOString(),
      // One scanner of several occasionally fails: the agent still uploads what it has.
      status: scanners.length > 1 && random() < 0.05 ? 'PARTIAL' : 'SUCCESS',
      scanners,
    },
    findings: { vulnerabilities },
    aggregates: { vulnerabilityCounts: counts, riskScore },
  };
}
