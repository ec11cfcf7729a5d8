import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineCpuSeconds } from './machine.js';
import { makeTempDir, readCpuSeconds, removeTempDir, type Pinning } from './processes.js';

/**
 * The load generator: Debian's `wrk` (`apt-get install wrk`), a C program driving many
 * keep-alive connections from one thread, with `heartbeat.lua` building each request. It runs
 * pinned to the core the servers are not on, so it never competes with the server measured.
 */

const WRK = '/usr/bin/wrk';
const SCRIPT = fileURLToPath(new URL('./heartbeat.lua', import.meta.url));

export interface LoadSettings {
  connections: number;
  /** wrk threads: one is enough to keep a single server core busy, and leaves its core's share readable. */
  threads: number;
  /** Measured seconds. */
  durationSeconds: number;
  /** Seconds of identical load before the measurement (JIT, connection set-up), not counted. */
  warmupSeconds: number;
  /** Seconds before an unanswered request counts as a timeout. */
  timeoutSeconds: number;
}

export interface LoadTarget {
  url: string;
  apiKey: string;
  /** Agent ids the requests cycle over, one per request in turn. */
  agentIds: string[];
  /** The server process, to measure how much CPU it used under load. */
  serverPid: number;
}

export interface LoadResult {
  requestsPerSecond: number;
  /** Answers with a status below 400. */
  completed: number;
  seconds: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** Connect, read and write errors. */
  errors: number;
  timeouts: number;
  /** Answers with a status of 400 or more (wrk's status errors). */
  non2xx: number;
  /** Server CPU time per answered request, in microseconds. */
  serverCpuUsPerRequest: number;
  /** CPU used by the server over the measured window, as a share of one core. */
  serverCpu: number;
  /** CPU used by wrk over its run, as a share of one core. */
  loadCpu: number;
  /** CPU used by every other process on the machine over the measured window, in cores. */
  otherCpu: number;
}

interface WrkReport {
  durationUs: number;
  requests: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latencyUs: { p50: number; p90: number; p99: number; max: number; mean: number };
  cpuSeconds: number;
}

export function wrkVersion(): string | null {
  const shown = spawnSync(WRK, ['--version'], { encoding: 'utf8' });
  if (shown.error) return null;
  return /wrk\s+(\S+)/.exec(`${shown.stdout}${shown.stderr}`)?.[1] ?? 'unknown version';
}

function runWrk(url: string, fleetFile: string, settings: LoadSettings, seconds: number, pinning: Pinning): Promise<WrkReport> {
  const args = ['-t', String(settings.threads), '-c', String(settings.connections), '-d', `${seconds}s`, '--timeout', `${settings.timeoutSeconds}s`, '-s', SCRIPT, url, '--', fleetFile];
  const [command, argv] = pinning.enabled ? ['taskset', ['-c', String(pinning.loadCpu), WRK, ...args]] : [WRK, args];
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = output.split('\n').find((l) => l.startsWith('{"durationUs"'));
      if (code !== 0 || !line) return reject(new Error(`wrk exited with ${code}:\n${output}`));
      resolve(JSON.parse(line) as WrkReport);
    });
  });
}

/** Warms up, then drives `target` for the measured duration and returns what it sustained. */
export async function runLoad(target: LoadTarget, settings: LoadSettings, pinning: Pinning): Promise<LoadResult> {
  const dir = makeTempDir('hg-heartbeat-wrk-');
  try {
    const fleetFile = join(dir, 'fleet.txt');
    writeFileSync(fleetFile, `${target.apiKey}\n${target.agentIds.join('\n')}\n`, { mode: 0o600 });
    if (settings.warmupSeconds > 0) await runWrk(target.url, fleetFile, settings, settings.warmupSeconds, pinning);

    const serverCpuBefore = readCpuSeconds(target.serverPid);
    const machineBefore = machineCpuSeconds();
    const startedAt = process.hrtime.bigint();
    const report = await runWrk(target.url, fleetFile, settings, settings.durationSeconds, pinning);
    const wallSeconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
    const serverCpuSeconds = readCpuSeconds(target.serverPid) - serverCpuBefore;
    const machineBusy = (machineCpuSeconds().busy - machineBefore.busy) / wallSeconds;

    const seconds = report.durationUs / 1e6;
    const { errors, latencyUs } = report;
    const completed = report.requests - errors.status;
    const serverCpu = serverCpuSeconds / wallSeconds;
    const loadCpu = report.cpuSeconds / seconds;
    return {
      requestsPerSecond: completed / seconds,
      completed,
      seconds,
      latencyMs: { p50: latencyUs.p50 / 1e3, p90: latencyUs.p90 / 1e3, p99: latencyUs.p99 / 1e3, max: latencyUs.max / 1e3, mean: latencyUs.mean / 1e3 },
      errors: errors.connect + errors.read + errors.write,
      timeouts: errors.timeout,
      non2xx: errors.status,
      serverCpuUsPerRequest: (serverCpuSeconds / Math.max(1, completed)) * 1e6,
      serverCpu,
      loadCpu,
      otherCpu: Math.max(0, machineBusy - serverCpu - loadCpu),
    };
  } finally {
    removeTempDir(dir);
  }
}
