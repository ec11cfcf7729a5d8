/**
 * A fleet in one process, through a crash: `npm run bench:fleet -- --sensors N` (default 100 000).
 *
 * The built service, started the way operators start it (`npm start`: the launcher sizing the
 * heap), on the embedded store in a fresh directory. N sensors register through the wire route
 * and go offline; every one comes back with a heartbeat and goes offline again; a tenth come back
 * once more. Then the service is killed with SIGKILL and started on the same data directory: how
 * long the rebuild takes, the peak resident set of each run, and whether every sensor came back
 * in the state it had. Writes its section of bench/results/fleet.md.
 */
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createServer } from 'node:net';
import { JsonClient, createApiKey, liveActors, registerFleet, waitUntilReady } from './heartbeat/http.js';
import { machineInfo } from './heartbeat/machine.js';
import { makeTempDir, removeTempDir, startNode, type Child } from './heartbeat/processes.js';
import { RssSampler, forEachConcurrently, measureTable, serviceChildPid, summary, summaryWhen, type StatusCounts } from './fleet-helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS = join(ROOT, 'bench/results/fleet.md');
const { values } = parseArgs({ options: { sensors: { type: 'string', default: '100000' } } });
const SENSORS = Number(values.sensors);
if (!Number.isInteger(SENSORS) || SENSORS < 10) throw new Error('--sensors must be a whole number, at least 10');
const CONCURRENCY = 32;
/** Short, so the fleet goes offline during the run; long enough to read the state after a restart. */
const OFFLINE_AFTER_MS = 30_000;
/**
 * After the crash no sensor calls again, so the restart gets a threshold longer than start-up
 * takes: otherwise the sensors restored online would go offline, correctly, before their state
 * could be read. The threshold is a setting, not stored state.
 */
const RESTART_OFFLINE_AFTER_MS = 15 * 60_000;
const COMEBACK_SHARE = 10;
const READY_TIMEOUT_MS = 60 * 60 * 1000;

const log = (line: string) => process.stderr.write(`[bench:fleet] ${new Date().toISOString().slice(11, 19)} ${line}\n`);
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const mib = (bytes: number) => `${fmt(bytes / 2 ** 20)} MiB`;
const since = (start: number) => (performance.now() - start) / 1000;

interface Service {
  launcher: Child;
  url: string;
  client: JsonClient;
  rss: RssSampler;
  heapLine: string;
  /** Spawn to /readyz 200. */
  readySeconds: number;
}

function build(): void {
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

async function start(dataDir: string, adminToken: string, offlineAfterMs: number): Promise<Service> {
  const began = performance.now();
  // The service logs to standard output, which the process helper does not read: choose the port here.
  const port = await freePort();
  const launcher = startNode(['server/dist/runtime/launch.js'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      EVENTSTORE_URL: '',
      HARBORGUARD_DATA_DIR: dataDir,
      HARBORGUARD_ADMIN_TOKEN: adminToken,
      HARBORGUARD_OFFLINE_AFTER_MS: String(offlineAfterMs),
      HARBORGUARD_MAX_SENSORS_PER_ORG: String(SENSORS * 2),
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
async function kill9(service: Service): Promise<void> {
  const pid = serviceChildPid(service.launcher.pid);
  if (pid === null) throw new Error('no service process under the launcher');
  service.rss.stop();
  process.kill(pid, 'SIGKILL');
  await new Promise<void>((resolve) => service.launcher.process.once('exit', () => resolve()));
  service.client.close();
}

/** Heartbeats sensors `from..to-1`; returns how many were answered `online`. */
async function heartbeat(client: JsonClient, apiKey: string, ids: string[], count: number): Promise<number> {
  let online = 0;
  await forEachConcurrently(count, CONCURRENCY, async (n) => {
    const ack = (await client.ok('POST', '/api/agent/heartbeat', { agentId: ids[n], status: 'idle', activeScans: 0, uptimeSeconds: 60 }, `Bearer ${apiKey}`)) as { status?: string };
    if (ack.status === 'online') online++;
  }, (done) => log(`  ${fmt(done)} heartbeats`), 100_000);
  return online;
}

const same = (a: StatusCounts, b: StatusCounts) => a.total === b.total && a.online === b.online && a.scanning === b.scanning && a.offline === b.offline;
const counts = (c: StatusCounts) => `${fmt(c.total)} total: ${fmt(c.online)} online, ${fmt(c.scanning)} scanning, ${fmt(c.offline)} offline`;

async function run(): Promise<string[][]> {
  const dataDir = makeTempDir('hg-fleet-bench-');
  const adminToken = randomBytes(24).toString('hex');
  try {
    const first = await start(dataDir, adminToken, OFFLINE_AFTER_MS);
    log(`first start ready in ${first.readySeconds.toFixed(1)} s (${first.heapLine})`);
    const apiKey = await createApiKey(first.client, adminToken, 'fleet-bench');
    const registerStart = performance.now();
    const ids = await registerFleet(first.client, apiKey, SENSORS, CONCURRENCY, (done) => {
      if (done % 50_000 === 0) log(`  ${fmt(done)} registered, RSS ${mib(first.rss.peak)} peak`);
    });
    const registerSeconds = since(registerStart);
    log(`registered ${fmt(SENSORS)} in ${registerSeconds.toFixed(1)} s; waiting for all to go offline`);
    await summaryWhen(first.client, adminToken, (c) => c.offline === SENSORS, 'every sensor offline', OFFLINE_AFTER_MS + 30 * 60_000);
    const backStart = performance.now();
    const cameBack = await heartbeat(first.client, apiKey, ids, SENSORS);
    const backSeconds = since(backStart);
    log(`${fmt(cameBack)} came back online in ${backSeconds.toFixed(1)} s; waiting for all to go offline again`);
    await summaryWhen(first.client, adminToken, (c) => c.offline === SENSORS, 'every sensor offline again', OFFLINE_AFTER_MS + 30 * 60_000);
    const tenth = Math.floor(SENSORS / COMEBACK_SHARE);
    const backAgain = await heartbeat(first.client, apiKey, ids, tenth);
    const before = await summaryWhen(first.client, adminToken, (c) => c.online === tenth && c.offline === SENSORS - tenth, `${tenth} online`, 5 * 60_000);
    const actorsBefore = await liveActors(first.client);
    await kill9(first);
    log(`killed with SIGKILL at ${counts(before)}; peak RSS ${mib(first.rss.peak)}; restarting`);

    const second = await start(dataDir, adminToken, RESTART_OFFLINE_AFTER_MS);
    const after = await summary(second.client, adminToken);
    const actorsAfter = await liveActors(second.client);
    second.rss.stop();
    log(`restart ready in ${second.readySeconds.toFixed(1)} s: ${counts(after)}; peak RSS ${mib(second.rss.peak)}`);
    await second.launcher.stop();
    second.client.close();
    return [
      ['Heap limit chosen by `npm start`', first.heapLine.replace('JavaScript heap limit ', '')],
      ['Sensors registered (wire route, 32 concurrent)', `${fmt(SENSORS)} in ${fmt(registerSeconds, 1)} s (${fmt(SENSORS / registerSeconds)}/s)`],
      ['Came back online (heartbeat after going offline)', `${fmt(cameBack)} of ${fmt(SENSORS)} in ${fmt(backSeconds, 1)} s`],
      ['State at the kill (`fleet.summary`) / actors', `${counts(before)} (${fmt(backAgain)} came back a second time) / ${fmt(actorsBefore)}`],
      ['Peak RSS, first run (registration, offline, comeback)', `**${mib(first.rss.peak)}**`],
      ['Restart after `kill -9`: spawn to ready (rebuild from the store)', `**${fmt(second.readySeconds, 1)} s**`],
      ['Peak RSS, restart', `**${mib(second.rss.peak)}**`],
      ['State after the restart / actors', `${counts(after)} / ${fmt(actorsAfter)}`],
      ['Every sensor back in its stored state', same(before, after) && actorsAfter === actorsBefore ? '**yes**' : '**NO**'],
    ];
  } finally {
    removeTempDir(dataDir);
  }
}

/** The results file keeps one section per fleet size; a run replaces its own. */
function writeSection(rows: string[][]): void {
  const machine = machineInfo(ROOT);
  const title = `## ${fmt(SENSORS)} sensors`;
  const section = [
    title,
    '',
    `- ${machine.date}; code ${machine.commit}; Node ${machine.node}; ${machine.cores} × ${machine.cpuModel}, ${fmt(machine.memoryGiB, 1)} GiB; load ${machine.loadAverage} (shared machine)`,
    `- Command: \`npm run bench:fleet -- --sensors ${SENSORS}\`; offline after ${OFFLINE_AFTER_MS / 1000} s without contact (${RESTART_OFFLINE_AFTER_MS / 60_000} min after the restart, when no sensor calls); embedded SQLite store.`,
    '',
    measureTable(rows),
  ].join('\n');
  const header = '# Fleet benchmark: one process, a crash, a restart\n\nWritten by `tests/bench/fleet.bench.ts`; one section per fleet size, the latest run of each.\n\n';
  const old = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : header;
  const sections = old.slice(old.indexOf('## ') >= 0 ? old.indexOf('## ') : old.length).split(/(?=^## )/m).filter((s) => s.trim() !== '' && !s.startsWith(`${title}\n`));
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, header + [...sections, section + '\n'].join(''));
}

build();
const rows = await run();
writeSection(rows);
console.log(rows.map(([m, r]) => `${m}: ${r}`).join('\n'));
