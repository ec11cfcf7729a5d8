import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Child processes and temporary directories of the benchmark, removed when it ends however it
 * ends: normal exit, thrown error, Ctrl-C or SIGTERM.
 */

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();

function cleanUpNow(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

process.on('exit', cleanUpNow);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    cleanUpNow();
    process.exit(130);
  });
}

export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** CPU pinning on a machine with few cores: the load generator and the server under test each get their own core. */
export interface Pinning {
  enabled: boolean;
  serverCpu: number;
  loadCpu: number;
  note: string;
}

/** Pins this process (every thread: the load generator runs here) to one core and keeps the other for servers. */
export function pinLoadGenerator(): Pinning {
  const cores = availableCpus();
  if (cores.length < 2 || !hasTaskset()) {
    return { enabled: false, serverCpu: -1, loadCpu: -1, note: `not pinned (${cores.length} usable core(s)${hasTaskset() ? '' : ', no taskset'}): load generator and server share the CPUs` };
  }
  const serverCpu = cores[0]!;
  const loadCpu = cores[1]!;
  const pinned = spawnSync('taskset', ['-a', '-p', '-c', String(loadCpu), String(process.pid)], { encoding: 'utf8' });
  if (pinned.status !== 0) return { enabled: false, serverCpu: -1, loadCpu: -1, note: `not pinned (taskset failed: ${pinned.stderr.trim()})` };
  return { enabled: true, serverCpu, loadCpu, note: `server process pinned to CPU ${serverCpu}, load generator (wrk, started under taskset, and this process with all its threads) pinned to CPU ${loadCpu}` };
}

function hasTaskset(): boolean {
  return spawnSync('taskset', ['-V']).status === 0;
}

function availableCpus(): number[] {
  const shown = spawnSync('taskset', ['-c', '-p', String(process.pid)], { encoding: 'utf8' });
  const list = /:\s*([\d,\s-]+)$/.exec(shown.stdout?.trim() ?? '')?.[1];
  if (!list) return [];
  const cpus: number[] = [];
  for (const part of list.split(',')) {
    const [from, to] = part.trim().split('-').map(Number);
    for (let cpu = from!; cpu <= (to ?? from!); cpu++) cpus.push(cpu);
  }
  return cpus;
}

export interface Child {
  process: ChildProcess;
  pid: number;
  /** Everything the child wrote so far, standard output and error together (kept for error messages). */
  stderr(): string;
  /** Resolves with the first capture of `pattern` in the child's output (the service logs to standard output). */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string>;
  stop(): Promise<void>;
}

/** Starts `node <args>` pinned to `cpu` (when pinning is on). */
export function startNode(args: string[], options: { env: NodeJS.ProcessEnv; cwd: string; pinning: Pinning; label: string }): Child {
  const command = options.pinning.enabled ? 'taskset' : process.execPath;
  const argv = options.pinning.enabled ? ['-c', String(options.pinning.serverCpu), process.execPath, ...args] : args;
  const child = spawn(command, argv, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stderr = '';
  const waiters: Array<() => void> = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
      for (const waiter of [...waiters]) waiter();
    });
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => {
    children.delete(child);
    for (const waiter of [...waiters]) waiter();
  });
  if (child.pid === undefined) throw new Error(`could not start ${options.label}`);

  return {
    process: child,
    pid: child.pid,
    stderr: () => stderr,
    waitForLine(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(stderr);
          if (match) return finish(() => resolve(match[1] ?? match[0]));
          if (child.exitCode !== null || child.signalCode !== null) {
            return finish(() => reject(new Error(`${options.label} exited (${child.exitCode ?? child.signalCode}):\n${stderr}`)));
          }
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`${options.label}: no ${pattern} within ${timeoutMs} ms:\n${stderr}`))), timeoutMs);
        const finish = (then: () => void) => {
          clearTimeout(timer);
          const index = waiters.indexOf(check);
          if (index >= 0) waiters.splice(index, 1);
          then();
        };
        waiters.push(check);
        check();
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** The process' resident set size and its peak, in bytes (Linux). */
export function readRss(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** CPU time (user + system) the process has used so far, in seconds (Linux). */
export function readCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}
