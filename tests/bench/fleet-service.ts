/**
 * The built service for the fleet benchmarks, started the way operators start it (`npm start`:
 * the launcher sizing the heap) on the embedded store, and killed without its shutdown.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { JsonClient, waitUntilReady } from './heartbeat/http.js';
import { startNode, type Child } from './heartbeat/processes.js';
import { RssSampler } from './fleet-helpers.js';
import { serviceChildPid } from '../support/server-process.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Requests in flight from the benchmark to the service. */
export const CONCURRENCY = 32;
const READY_TIMEOUT_MS = 60 * 60 * 1000;

export const log = (line: string) => process.stderr.write(`[bench:fleet] ${new Date().toISOString().slice(11, 19)} ${line}\n`);
export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
export const mib = (bytes: number) => `${fmt(bytes / 2 ** 20)} MiB`;
export const since = (start: number) => (performance.now() - start) / 1000;

export interface Service {
  launcher: Child;
  url: string;
  client: JsonClient;
  rss: RssSampler;
  heapLine: string;
  /** Spawn to /readyz 200. */
  readySeconds: number;
}

export function build(): void {
  log('building shared, eventstore and server (tsc -b)');
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-b', 'shared', 'eventstore', 'server'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('build failed: the benchmark runs the compiled service');
}

/** Service processes started, killed when the benchmark ends however it ends (the launcher's cleanup is SIGKILL, which it cannot pass on). */
const services = new Set<number>();
process.on('exit', () => {
  for (const pid of services) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

/** `nodeOptions` go to the launcher, which passes them on to the service (e.g. `--cpu-prof`). */
export async function start(dataDir: string, adminToken: string, offlineAfterMs: number, maxSensors: number, nodeOptions: string[] = []): Promise<Service> {
  const began = performance.now();
  // The service logs to standard output, which the process helper does not read: choose the port here.
  const port = await freePort();
  const launcher = startNode([...nodeOptions, 'server/dist/runtime/launch.js'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      EVENTSTORE_URL: '',
      HARBORGUARD_DATA_DIR: dataDir,
      HARBORGUARD_ADMIN_TOKEN: adminToken,
      HARBORGUARD_OFFLINE_AFTER_MS: String(offlineAfterMs),
      HARBORGUARD_MAX_SENSORS_PER_ORG: String(maxSensors * 2),
    },
    pinning: { enabled: false, serverCpu: -1, loadCpu: -1, note: '' },
    label: 'HarborGuard (npm start)',
  });
  const rss = new RssSampler(() => serviceChildPid(launcher.pid));
  const heapLine = await launcher.waitForLine(/(JavaScript heap limit .*)/, 20_000);
  const url = `http://127.0.0.1:${port}`;
  const client = new JsonClient(url, CONCURRENCY, 10 * 60_000);
  await waitUntilReady(client, READY_TIMEOUT_MS);
  const pid = serviceChildPid(launcher.pid);
  if (pid !== null) services.add(pid);
  return { launcher, url, client, rss, heapLine, readySeconds: since(began) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** SIGKILL to the service process itself: nothing of its shutdown runs. */
export async function kill9(service: Service): Promise<void> {
  const pid = serviceChildPid(service.launcher.pid);
  if (pid === null) throw new Error('no service process under the launcher');
  service.rss.stop();
  process.kill(pid, 'SIGKILL');
  await new Promise<void>((resolve) => service.launcher.process.once('exit', () => resolve()));
  service.client.close();
}

