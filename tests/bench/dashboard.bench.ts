/**
 * The Sensors page at fleet scale: `npm run bench:dashboard` (`-- --sensors N`, default 100 000).
 *
 * The built service (serving the built dashboard) on the embedded store in a fresh directory,
 * and headless Debian chromium. A probe sensor named to sort first, bound to a registry, then
 * 1 000 sensors in all, then N, registered through the wire route 32 at a time. At each size, in
 * the browser: navigation to the first rows on screen (a full page load, signed in), the
 * probe's status change (a scan starting, a scan ending) to its badge changing on screen, and
 * the page's JavaScript heap after a garbage collection; at N, once more while the whole fleet
 * heartbeats. Writes bench/results/dashboard.md.
 */
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { JsonClient, createApiKey, sensorRegistration } from './heartbeat/http.js';
import { machineInfo } from './heartbeat/machine.js';
import { makeTempDir, removeTempDir } from './heartbeat/processes.js';
import { forEachConcurrently } from './fleet-helpers.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { TrpcHttp } from '../support/http-clients.js';
import { wireSensor, type SensorClient } from '../support/sensor-clients.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS = join(ROOT, 'bench/results/dashboard.md');
const { values } = parseArgs({ options: { sensors: { type: 'string', default: '100000' } } });
const SENSORS = Number(values.sensors);
const SMALL = 1_000;
if (!Number.isInteger(SENSORS) || SENSORS <= SMALL) throw new Error(`--sensors must be a whole number above ${SMALL}`);
const CHROMIUM = process.env['HG_CHROMIUM'] ?? '/usr/bin/chromium';
const CONCURRENCY = 32;
const LOADS = 5;
const CHANGES = 6;
const GOAL_MS = 1_000;
/** The heartbeat interval told to sensors: under load, every sensor calls once in this many seconds. */
const HEARTBEAT_INTERVAL_S = 30;

const log = (line: string) => process.stderr.write(`[bench:dashboard] ${new Date().toISOString().slice(11, 19)} ${line}\n`);
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const worst = (xs: number[]) => Math.max(...xs);

interface Figures {
  /** Navigation start to the first sensor row in the DOM, ms, per load. */
  firstRows: number[];
  /** Bytes of the `sensors.list` answer the page loaded (decoded). */
  listBytes: number;
  /** The sensor's request that changes the probe's status sent, to its badge showing it, ms, per change. */
  statusShown: number[];
  /** Used JS heap after a forced garbage collection, bytes. */
  heap: number;
}

/** The benchmark runs what operators run: the compiled service serving the built dashboard. */
function build(): void {
  const steps = [
    ['npx', 'tsc', '-b', 'shared', 'eventstore', 'server'],
    ['npm', 'run', 'build', '-w', 'client'],
  ];
  for (const [command, ...args] of steps) {
    log(`building: ${command} ${args.join(' ')}`);
    if (spawnSync(command!, args, { cwd: ROOT, stdio: 'inherit' }).status !== 0) throw new Error(`${command} ${args.join(' ')} failed`);
  }
}

/** Registers sensors `from` .. `to - 1` (names `scanner-<n>`) through the wire route; adds their ids to `ids`. */
async function register(client: JsonClient, apiKey: string, from: number, to: number, ids: string[]): Promise<void> {
  await forEachConcurrently(
    to - from,
    CONCURRENCY,
    async (n) => {
      const answer = (await client.ok('POST', '/api/agent/register', sensorRegistration(from + n), `Bearer ${apiKey}`)) as { agentId: string };
      ids.push(answer.agentId);
    },
    (done) => log(`  ${fmt(from + done)} registered`),
    20_000,
  );
}

/**
 * Heartbeats the fleet round-robin in the background, paced to at most every sensor every
 * `HEARTBEAT_INTERVAL_S` seconds; `stop` resolves with the rate reached (heartbeats per second).
 */
function heartbeatLoad(client: JsonClient, apiKey: string, ids: string[]): { stop(): Promise<number> } {
  const perMs = ids.length / (HEARTBEAT_INTERVAL_S * 1000);
  const started = performance.now();
  let sent = 0;
  let stopped = false;
  const worker = async () => {
    while (!stopped) {
      const due = started + sent / perMs;
      if (due > performance.now()) await new Promise((resolve) => setTimeout(resolve, due - performance.now()));
      const id = ids[sent++ % ids.length]!;
      await client.ok('POST', '/api/agent/heartbeat', { agentId: id, status: 'idle', activeScans: 0, uptimeSeconds: 60 }, `Bearer ${apiKey}`);
    }
  };
  const workers = Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return {
    async stop() {
      stopped = true;
      await workers;
      return sent / ((performance.now() - started) / 1000);
    },
  };
}

/** In every page: the moment the first sensor row appears, in ms since navigation start. */
const FIRST_ROWS_PROBE = `
  window.__hgFirstRows = null;
  new MutationObserver((_, observer) => {
    if (document.querySelector('tr[data-sensor-id]')) { window.__hgFirstRows = performance.now(); observer.disconnect(); }
  }).observe(document, { childList: true, subtree: true });
`;

/** Reads a value the page keeps on `window`, once it is set. */
async function pageValue(page: Page, name: string, timeoutMs = 60_000): Promise<number> {
  // The page takes the time itself: how often it is asked does not change the figure.
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = (await page.evaluate(`window.${name} ?? null`)) as number | null;
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`the page never set ${name} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function firstRows(page: Page, url: string): Promise<{ ms: number; listBytes: number }> {
  await page.goto(`${url}/sensors`, { waitUntil: 'commit' });
  const ms = await pageValue(page, '__hgFirstRows');
  const listBytes = (await page.evaluate(
    `Math.max(0, ...performance.getEntriesByType('resource').filter((entry) => entry.name.includes('sensors.list')).map((entry) => entry.decodedBodySize))`,
  )) as number;
  return { ms, listBytes };
}

/** Arms a watch on a sensor's badge; the function it returns resolves with the wall-clock time the badge shows `status`. */
async function badgeShows(page: Page, sensorId: string, status: string): Promise<() => Promise<number>> {
  await page.evaluate(`(() => {
    window.__hgSeen = null;
    const check = () => {
      if (document.querySelector('tr[data-sensor-id="${sensorId}"] [data-status]')?.getAttribute('data-status') !== '${status}') return false;
      window.__hgSeen = Date.now();
      return true;
    };
    if (check()) return;
    const observer = new MutationObserver(() => check() && observer.disconnect());
    observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  })()`);
  return () => pageValue(page, '__hgSeen');
}

/** A scan starting and ending on the probe, each timed from the sensor's request to the badge. */
async function statusChanges(page: Page, admin: TrpcHttp, probe: SensorClient, probeId: string, registryId: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < CHANGES / 2; i++) {
    await admin.do('mutation', 'jobs.scanNow', { registryId, imageRef: `library/app:${i}` });
    let seen = await badgeShows(page, probeId, 'scanning');
    // Timed from before the sensor's request is sent: the figure includes the request itself.
    let sent = Date.now();
    const jobs = (await probe.poll(probeId)).jobs;
    if (jobs.length !== 1) throw new Error(`the probe got ${jobs.length} jobs`);
    times.push((await seen()) - sent);
    seen = await badgeShows(page, probeId, 'online');
    sent = Date.now();
    await probe.report(probeId, jobs[0]!.id, 'completed');
    times.push((await seen()) - sent);
  }
  return times;
}

async function heapUsed(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  await cdp.detach();
  return usedSize;
}

async function measure(page: Page, url: string, admin: TrpcHttp, probe: SensorClient, probeId: string, registryId: string): Promise<Figures> {
  const loads: number[] = [];
  let listBytes = 0;
  for (let i = 0; i < LOADS; i++) {
    const load = await firstRows(page, url);
    loads.push(load.ms);
    listBytes = load.listBytes;
  }
  const statusShown = await statusChanges(page, admin, probe, probeId, registryId);
  // Live updates run a while (counts, last contacts) before the heap is read.
  await new Promise((resolve) => setTimeout(resolve, 6_000));
  return { firstRows: loads, listBytes, statusShown, heap: await heapUsed(page) };
}

async function signIn(browser: Browser, url: string, adminToken: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.addInitScript(FIRST_ROWS_PROBE);
  await page.goto(`${url}/sign-in`);
  await page.getByLabel('Access token').fill(adminToken);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/sensors/);
  return page;
}

/** Waits until the read models hold every event stored so far; returns how long that took, in seconds. */
async function projectionsCaughtUp(client: JsonClient): Promise<number> {
  const started = performance.now();
  for (;;) {
    const { json } = await client.call('GET', '/readyz', undefined);
    const projections = (json as { checks?: { projections?: string } }).checks?.projections ?? '';
    if (projections.startsWith('caught up') && !projections.includes('behind')) return (performance.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

interface Run {
  /** First rows right after the last registration, while the service still takes the burst in. */
  burst: number[];
  /** Seconds from the last registration until the read models had caught up. */
  settleSeconds: number;
  small: Figures;
  large: Figures;
  loaded: Figures;
  /** Heartbeats per second reached while `loaded` was measured. */
  heartbeatRate: number;
}

async function run(): Promise<Run> {
  const dataDir = makeTempDir('hg-dashboard-bench-');
  const adminToken = randomBytes(24).toString('hex');
  let server: ServerProcess | null = null;
  let browser: Browser | null = null;
  try {
    server = await startServerProcess({
      HARBORGUARD_DATA_DIR: dataDir,
      HARBORGUARD_ADMIN_TOKEN: adminToken,
      // Nobody goes offline during the run: the probe's changes are the only transitions.
      HARBORGUARD_OFFLINE_AFTER_MS: String(6 * 60 * 60_000),
      HARBORGUARD_MAX_SENSORS_PER_ORG: String(SENSORS * 2),
    });
    const client = new JsonClient(server.url, CONCURRENCY, 10 * 60_000);
    const admin = new TrpcHttp(server.url, adminToken);
    const apiKey = await createApiKey(client, adminToken, 'dashboard-bench');
    const probe = wireSensor(server.url, apiKey);
    const probeId = await probe.register({ name: 'aaa-probe', hostname: 'probe.bench', capabilities: ['scan'] });
    const { id: registryId } = await admin.do<{ id: string }>('mutation', 'registries.create', { name: 'bench', url: 'https://registry.bench' });
    await admin.do('mutation', 'sensors.bindRegistry', { sensorId: probeId, registryId });

    const ids: string[] = [];
    await register(client, apiKey, 0, SMALL - 1, ids);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
    let page = await signIn(browser, server.url, adminToken);
    log(`measuring at ${fmt(SMALL)} sensors`);
    const small = await measure(page, server.url, admin, probe, probeId, registryId);
    await page.close();

    await register(client, apiKey, SMALL - 1, SENSORS - 1, ids);
    page = await signIn(browser, server.url, adminToken);
    log(`first rows right after the registrations, then waiting for the read models`);
    const burst: number[] = [];
    for (let i = 0; i < LOADS; i++) burst.push((await firstRows(page, server.url)).ms);
    const settleSeconds = await projectionsCaughtUp(client);
    log(`measuring at ${fmt(SENSORS)} sensors`);
    const large = await measure(page, server.url, admin, probe, probeId, registryId);
    log(`measuring at ${fmt(SENSORS)} sensors with every sensor heartbeating every ${HEARTBEAT_INTERVAL_S} s`);
    const load = heartbeatLoad(client, apiKey, ids);
    const loaded = await measure(page, server.url, admin, probe, probeId, registryId);
    const heartbeatRate = await load.stop();
    client.close();
    return { burst, settleSeconds, small, large, loaded, heartbeatRate };
  } finally {
    await browser?.close();
    await server?.stop();
    removeTempDir(dataDir);
  }
}

function write({ burst, settleSeconds, small, large, loaded, heartbeatRate }: Run): string {
  const machine = machineInfo(ROOT);
  const ms = (xs: number[]) => `${fmt(median(xs))} ms median, ${fmt(worst(xs))} ms worst`;
  const verdict = (ok: boolean) => (ok ? '**pass**' : '**miss**');
  const heapRatio = Math.max(large.heap, loaded.heap) / small.heap;
  const within = (pick: (f: Figures) => number[]) => verdict(Math.max(worst(pick(large)), worst(pick(loaded))) <= GOAL_MS);
  const mib = (f: Figures) => `${fmt(f.heap / 2 ** 20, 1)} MiB`;
  const kib = (f: Figures) => `${fmt(f.listBytes / 1024, 1)} KiB`;
  const rows = [
    ['Navigation to the first rows on screen (full page load, signed in)', ms(small.firstRows), ms(large.firstRows), ms(loaded.firstRows), `≤ ${fmt(GOAL_MS)} ms: ${within((f) => f.firstRows)}`],
    [
      'The same, right after the last of the registrations (the service still taking them in)',
      '—',
      ms(burst),
      '—',
      `≤ ${fmt(GOAL_MS)} ms: ${verdict(worst(burst) <= GOAL_MS)}`,
    ],
    ['Sensor request causing a status change sent → badge on screen (scan starts / ends)', ms(small.statusShown), ms(large.statusShown), ms(loaded.statusShown), `≤ ${fmt(GOAL_MS)} ms: ${within((f) => f.statusShown)}`],
    ['JS heap after garbage collection', mib(small), mib(large), mib(loaded), `independent of fleet size (×${fmt(heapRatio, 2)}): ${verdict(heapRatio < 1.2)}`],
    ['`sensors.list` answer the page loads (decoded)', kib(small), kib(large), kib(loaded), 'one page of 50 rows'],
  ];
  const text = [
    '# Dashboard benchmark: the Sensors page at fleet scale',
    '',
    'Written by `tests/bench/dashboard.bench.ts`.',
    '',
    `- ${machine.date}; code ${machine.commit}; Node ${machine.node}; ${machine.cores} × ${machine.cpuModel}, ${fmt(machine.memoryGiB, 1)} GiB; load ${machine.loadAverage} (shared machine)`,
    `- Command: \`npm run bench:dashboard -- --sensors ${SENSORS}\`; the built service on the embedded SQLite store, headless Debian chromium on the same machine; sensors registered through the wire route, ${CONCURRENCY} at a time. Measured with no other load of the service, then again while the whole fleet heartbeats through the wire route (aimed at every sensor every ${HEARTBEAT_INTERVAL_S} s, ${fmt(SENSORS / HEARTBEAT_INTERVAL_S)}/s; the rate reached on this machine is in the column head).`,
    `- ${LOADS} page loads and ${CHANGES} status changes at each size; the status change is timed from just before the sensor's request that causes it is sent to the badge changing in the page (one clock).`,
    '',
    `| Measure | ${fmt(SMALL)} sensors | ${fmt(SENSORS)} sensors | ${fmt(SENSORS)} sensors, heartbeating (${fmt(heartbeatRate)}/s reached) | Goal |`,
    '| --- | --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    `The read models had taken in the registrations ${fmt(settleSeconds, 1)} s after the loads right after the last one; the ${fmt(SENSORS)} columns were measured after that.`,
    '',
    `Raw (ms): right after the registrations: ${burst.map((x) => fmt(x)).join(', ')}; first rows ${SMALL}: ${small.firstRows.map((x) => fmt(x)).join(', ')}; ${SENSORS}: ${large.firstRows.map((x) => fmt(x)).join(', ')}; heartbeating: ${loaded.firstRows.map((x) => fmt(x)).join(', ')}.`,
    `Status ${SMALL}: ${small.statusShown.join(', ')}; ${SENSORS}: ${large.statusShown.join(', ')}; heartbeating: ${loaded.statusShown.join(', ')}.`,
    '',
  ].join('\n');
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, text);
  return text;
}

build();
console.log(write(await run()));
