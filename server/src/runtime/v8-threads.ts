/**
 * How many background threads V8 gets, decided before the service starts. V8 marks and sweeps
 * the heap and compiles code on these threads while JavaScript runs. Node starts four of them
 * on any machine. With fewer spare cores than that, they compete with the event loop's thread
 * while a large heap is marked, and the liveness timers run late (figures in
 * bench/results/fleet.md). One core is left to the event loop and the rest go to V8, never
 * more than Node's four.
 */

import { readFileSync } from 'node:fs';

/** Node's own pool size, the most the launcher asks for. */
export const NODE_POOL_SIZE = 4;

const POOL_OPTION = /(^|\s)--v8-pool-size(=|\s|$)/;

export interface V8Threads {
  /** The option to start the service with; none when the operator chose a size. */
  options: string[];
  /** For the start-up log. */
  description: string;
}

/**
 * The pool size for `cores` usable cores, unless the operator already set one with
 * `--v8-pool-size` (in NODE_OPTIONS or on the command line). Then theirs is kept.
 */
export function v8Threads(cores: UsableCores, given: { nodeOptions: string | undefined; execArgv: readonly string[] }): V8Threads {
  if (POOL_OPTION.test(given.nodeOptions ?? '') || given.execArgv.some((arg) => POOL_OPTION.test(arg))) {
    return { options: [], description: 'V8 background threads as set by --v8-pool-size' };
  }
  const { count, reason } = cores;
  const size = Math.max(1, Math.min(NODE_POOL_SIZE, count - 1));
  const spare = count > 1 ? ', one left to the event loop' : '';
  return { options: [`--v8-pool-size=${size}`], description: `V8 background threads ${size} (${count} ${count === 1 ? 'core' : 'cores'}${reason}${spare})` };
}

export interface UsableCores {
  count: number;
  /** Empty, or what limits the count below the machine's cores, for the start-up log. */
  reason: string;
}

/**
 * The cores the service may keep busy: those it may run on (its CPU affinity), or fewer when its
 * container has a CPU quota (cgroup v2 `cpu.max`, or v1's CFS quota and period), rounded up.
 */
export function usableCores(affinity: number, cgroup: { cpuMax?: string | undefined; cfsQuotaUs?: string | undefined; cfsPeriodUs?: string | undefined }): UsableCores {
  const quota = cgroup.cpuMax !== undefined ? quotaOf(cgroup.cpuMax.trim().split(/\s+/)) : quotaOf([cgroup.cfsQuotaUs?.trim(), cgroup.cfsPeriodUs?.trim()]);
  if (quota === undefined || quota >= affinity) return { count: affinity, reason: '' };
  return { count: quota, reason: " by the container's CPU quota" };
}

/** Whole cores of a quota and period in microseconds; undefined when there is no quota ("max", -1) or it is unreadable. */
function quotaOf([quota, period]: (string | undefined)[]): number | undefined {
  const allowed = Number(quota);
  const per = Number(period);
  if (!(allowed > 0) || !(per > 0)) return undefined;
  return Math.max(1, Math.ceil(allowed / per));
}

/** The container's CPU quota files, as far as they exist here (Linux). */
export function readCgroupCpu(): { cpuMax?: string; cfsQuotaUs?: string; cfsPeriodUs?: string } {
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  };
  const cpuMax = read('/sys/fs/cgroup/cpu.max');
  if (cpuMax !== undefined) return { cpuMax };
  const cfsQuotaUs = read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us');
  const cfsPeriodUs = read('/sys/fs/cgroup/cpu/cpu.cfs_period_us');
  return { ...(cfsQuotaUs === undefined ? {} : { cfsQuotaUs }), ...(cfsPeriodUs === undefined ? {} : { cfsPeriodUs }) };
}
