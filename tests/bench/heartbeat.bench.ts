/**
 * Heartbeat throughput and actor memory of the whole service on this machine. Run with
 * `npm run bench:heartbeat`; writes bench/results/heartbeat.md.
 *
 * 1. Full stack: the built service as `npm start` runs it (`server/dist/runtime/launch.js`,
 *    which starts `main.js` with the heap and V8 options it chooses; embedded SQLite store in a
 *    temporary directory) with 10 000 sensors registered through the wire route, driven by
 *    wrk (`heartbeat/heartbeat.lua`) with authenticated `POST /api/agent/heartbeat` requests
 *    cycling over every registered agent id, wrk pinned to the other core than the server.
 * 2. Reference: a bare `node:http` server in its own process answering the same requests, with the
 *    same load generator settings and the same CPU pinning, in rounds alternating with the full stack.
 * 3. Memory: a fresh service with 100 000 sensors registered through the wire route, resident set
 *    size before and after, each read after a forced full garbage collection.
 *
 * Child processes and temporary directories are removed however the run ends.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BARE_SERVER_ARGS } from './heartbeat/bare-server.js';
import { JsonClient, createApiKey, fleetSummary, liveActors, registerFleet, waitUntilReady } from './heartbeat/http.js';
import { InspectorSession } from './heartbeat/inspector.js';
import { runLoad, wrkVersion, type LoadResult, type LoadSettings, type LoadTarget } from './heartbeat/wrk.js';
import { formatLoad, machineInfo } from './heartbeat/machine.js';
import { makeTempDir, pinLoadGenerator, readRss, removeTempDir, startNode, type Child, type Pinning } from './heartbeat/processes.js';
import { commandLine, serviceChildPid } from '../support/server-process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS = join(ROOT, 'bench/results/heartbeat.md');

const THROUGHPUT_FLEET = 10_000;
const MEMORY_FLEET = 100_000;
const REGISTER_CONCURRENCY = 32;
/** Alternating measured rounds per server; the best round of each is compared. */
const ROUNDS = 3;
const LOAD: LoadSettings = { connections: 100, threads: 1, durationSeconds: 10, warmupSeconds: 3, timeoutSeconds: 10 };
/** Long enough that no sensor of the memory fleet goes offline while the rest register and memory is read. */
const MEMORY_OFFLINE_AFTER_MS = 30 * 60 * 1000;
/** Idle time before reading memory, then again after the forced collection. */
const SETTLE_MS = 5_000;
const AFTER_GC_MS = 2_000;

/** The whole run normally takes 2–4 minutes; past this something is stuck. */
const WATCHDOG_MS = 12 * 60 * 1000;

const TARGET_RATIO = 0.8;
const TARGET_RSS_BYTES = 1024 ** 3;

const log = (line: string) => process.stderr.write(`[bench:heartbeat] ${line}\n`);
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const mib = (bytes: number) => `${fmt(bytes / 2 ** 20)} MiB`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function build(): void {
  log('building shared, eventstore and server (tsc -b)');
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-b', 'shared', 'eventstore', 'server'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('build failed: the benchmark runs the compiled service (server/dist)');
}

interface ServiceProcess {
  /** The launcher (`npm start`'s process). */
  child: Child;
  /** The service's own process, started by the launcher: the one measured. */
  pid: number;
  /** The Node options the launcher chose for the service (heap limit, semi-spaces, V8 threads). */
  options: string;
  url: string;
  client: JsonClient;
  adminToken: string;
  dataDir: string;
  inspector?: InspectorSession;
}

async function startService(pinning: Pinning, options: { env?: NodeJS.ProcessEnv; inspect?: boolean } = {}): Promise<ServiceProcess> {
  const dataDir = makeTempDir('hg-heartbeat-bench-');
  const adminToken = randomBytes(24).toString('hex');
  // As `npm start` runs it: the launcher sizes the heap and V8's threads, then runs the service in
  // its own process, which is the one measured. An inspector option reaches both processes.
  const child = startNode([...(options.inspect ? ['--inspect=127.0.0.1:0'] : []), 'server/dist/runtime/launch.js'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      HARBORGUARD_DATA_DIR: dataDir,
      HARBORGUARD_ADMIN_TOKEN: adminToken,
      EVENTSTORE_URL: '',
      ...options.env,
    },
    pinning,
    label: 'HarborGuard server',
  });
  const url = await child.waitForLine(/listening on (http:\/\/\S+)/, 20_000);
  const pid = serviceChildPid(child.pid);
  if (pid === null) throw new Error(`the launcher (pid ${child.pid}) runs no service process`);
  const args = commandLine(pid);
  const nodeOptions = args.slice(1, args.findIndex((arg) => arg.endsWith('main.js'))).join(' ');
  // The service's inspector is the second one to listen: the launcher's comes first.
  const inspectorUrls = [...child.stderr().matchAll(/Debugger listening on (ws:\/\/\S+)/g)].map((match) => match[1]!);
  if (options.inspect && inspectorUrls.length < 2) throw new Error(`no inspector for the service process:\n${child.stderr()}`);
  const inspector = options.inspect ? await InspectorSession.connect(inspectorUrls[inspectorUrls.length - 1]!) : undefined;
  const client = new JsonClient(url, REGISTER_CONCURRENCY);
  await waitUntilReady(client, 60_000);
  return { child, pid, options: nodeOptions, url, client, adminToken, dataDir, ...(inspector ? { inspector } : {}) };
}

async function stopService(service: ServiceProcess): Promise<void> {
  service.inspector?.close();
  service.client.close();
  await service.child.stop();
  removeTempDir(service.dataDir);
}

/** The body heartbeat.lua sends, for the one heartbeat sent by hand. */
function heartbeatBody(agentId: string) {
  return { agentId, status: 'idle', activeScans: 0, uptimeSeconds: 3600 };
}

function loadTarget(url: string, apiKey: string, agentIds: string[], serverPid: number): LoadTarget {
  return { url, apiKey, agentIds, serverPid };
}

interface ThroughputResult {
  /** Interleaved rounds: the full stack, then the bare server, again and again. */
  full: LoadResult[];
  bare: LoadResult[];
  registerSeconds: number;
  actorsBefore: number;
  actorsAfter: number;
  onlineAfter: number;
  rssUnderLoad: number;
  sampleAck: unknown;
  /** The Node options the launcher started the service with. */
  serviceOptions: string;
}

/**
 * The full stack and the bare server side by side, measured in alternating rounds with identical
 * settings, so that a burst of other work on the machine hits both alike rather than one of them.
 */
async function throughput(pinning: Pinning): Promise<ThroughputResult> {
  log('throughput: starting the service');
  const service = await startService(pinning);
  let bareServer: Child | undefined;
  try {
    const apiKey = await createApiKey(service.client, service.adminToken, 'heartbeat-bench');
    log(`throughput: registering ${fmt(THROUGHPUT_FLEET)} sensors`);
    const registerStart = performance.now();
    const agentIds = await registerFleet(service.client, apiKey, THROUGHPUT_FLEET, REGISTER_CONCURRENCY);
    const registerSeconds = (performance.now() - registerStart) / 1000;

    // One heartbeat by hand: the answer the load generator will get thousands of times.
    const sampleAck = await service.client.ok('POST', '/api/agent/heartbeat', heartbeatBody(agentIds[0]!), `Bearer ${apiKey}`);
    const ack = sampleAck as { ok?: boolean; sensorId?: string; status?: string };
    if (ack.ok !== true || ack.sensorId !== agentIds[0] || ack.status !== 'online') throw new Error(`unexpected heartbeat answer: ${JSON.stringify(sampleAck)}`);
    const actorsBefore = await liveActors(service.client);

    log('throughput: starting the bare node:http server');
    // The bare server answers with the very text of a real heartbeat answer.
    bareServer = startNode(BARE_SERVER_ARGS, { cwd: ROOT, env: { ...process.env, BARE_REPLY: JSON.stringify(sampleAck) }, pinning, label: 'bare node:http server' });
    const bareUrl = await bareServer.waitForLine(/listening on (http:\/\/\S+)/, 10_000);

    const full: LoadResult[] = [];
    const bare: LoadResult[] = [];
    let rssUnderLoad = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      log(`throughput round ${round}/${ROUNDS}: full stack, ${LOAD.warmupSeconds} s warm-up + ${LOAD.durationSeconds} s over ${LOAD.connections} connections`);
      full.push(await runLoad(loadTarget(service.url, apiKey, agentIds, service.pid), LOAD, pinning));
      rssUnderLoad = Math.max(rssUnderLoad, readRss(service.pid).rss);
      log(`throughput round ${round}/${ROUNDS}: bare node:http server, same requests and settings`);
      bare.push(await runLoad(loadTarget(bareUrl, apiKey, agentIds, bareServer.pid), LOAD, pinning));
    }

    // A heartbeat from an unknown id would have created a sensor, and one that changed a sensor's
    // state would show here: every request named a registered sensor that stayed online.
    const actorsAfter = await liveActors(service.client);
    const onlineAfter = (await fleetSummary(service.client, service.adminToken, THROUGHPUT_FLEET)).online;
    return { full, bare, registerSeconds, actorsBefore, actorsAfter, onlineAfter, rssUnderLoad, sampleAck, serviceOptions: service.options };
  } finally {
    await bareServer?.stop();
    await stopService(service);
  }
}

interface MemoryReading {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
}

interface MemoryResult {
  before: MemoryReading;
  afterIdle: number;
  after: MemoryReading;
  peak: number;
  registerSeconds: number;
  actors: number;
  online: number;
}

async function readSettledMemory(service: ServiceProcess): Promise<MemoryReading> {
  await service.inspector!.collectGarbage();
  await sleep(AFTER_GC_MS);
  await service.inspector!.collectGarbage();
  const usage = await service.inspector!.memoryUsage();
  return { rss: readRss(service.pid).rss, heapUsed: usage.heapUsed, heapTotal: usage.heapTotal, external: usage.external };
}

async function memory(pinning: Pinning): Promise<MemoryResult> {
  log('memory: starting a fresh service');
  const service = await startService(pinning, { inspect: true, env: { HARBORGUARD_OFFLINE_AFTER_MS: String(MEMORY_OFFLINE_AFTER_MS) } });
  try {
    const apiKey = await createApiKey(service.client, service.adminToken, 'memory-bench');
    await sleep(SETTLE_MS);
    const before = await readSettledMemory(service);
    log(`memory: RSS before registering ${mib(before.rss)}; registering ${fmt(MEMORY_FLEET)} sensors`);
    const registerStart = performance.now();
    await registerFleet(service.client, apiKey, MEMORY_FLEET, REGISTER_CONCURRENCY, (done) => {
      if (done % 10_000 === 0) log(`memory: ${fmt(done)} registered, RSS ${mib(readRss(service.pid).rss)}`);
    });
    const registerSeconds = (performance.now() - registerStart) / 1000;
    // Memory is read once the read models have caught up with every registration.
    const summary = await fleetSummary(service.client, service.adminToken, MEMORY_FLEET);
    await sleep(SETTLE_MS);
    const afterIdle = readRss(service.pid).rss;
    const after = await readSettledMemory(service);
    const peak = readRss(service.pid).peak;
    const actors = await liveActors(service.client);
    const online = Math.min(summary.online, (await fleetSummary(service.client, service.adminToken, MEMORY_FLEET)).online);
    log(`memory: RSS with ${fmt(actors)} actors ${mib(after.rss)} (${fmt(online)} online)`);
    return { before, afterIdle, after, peak, registerSeconds, actors, online };
  } finally {
    await stopService(service);
  }
}

function verdict(pass: boolean): string {
  return pass ? '**PASS**' : '**FAIL**';
}

const perRequestUs = (r: LoadResult) => r.serverCpuUsPerRequest;
const best = (rounds: LoadResult[]) => rounds.reduce((a, b) => (b.requestsPerSecond > a.requestsPerSecond ? b : a));

function loadRow(name: string, round: number, r: LoadResult, chosen: boolean): string {
  const cells = [
    `${name}, round ${round}${chosen ? ' (best)' : ''}`,
    fmt(r.requestsPerSecond),
    fmt(r.latencyMs.p50, 2),
    fmt(r.latencyMs.p90, 2),
    fmt(r.latencyMs.p99, 2),
    fmt(r.latencyMs.max, 1),
    fmt(r.completed),
    `${r.errors} / ${r.timeouts} / ${r.non2xx}`,
    `${fmt(r.serverCpu * 100)} %`,
    fmt(perRequestUs(r)),
    `${fmt(r.loadCpu * 100)} %`,
    `${fmt(r.otherCpu * 100)} %`,
  ];
  return `| ${cells.join(' | ')} |`;
}

function report(input: {
  machine: ReturnType<typeof machineInfo>;
  pinning: Pinning;
  throughput: ThroughputResult;
  memory: MemoryResult;
  seconds: number;
  loadAfter: string;
  wrkVersion: string;
}): string {
  const { machine, pinning, throughput: tp, memory: mem } = input;
  const full = best(tp.full);
  const bare = best(tp.bare);
  const ratio = full.requestsPerSecond / bare.requestsPerSecond;
  const cpuRatio = perRequestUs(bare) / perRequestUs(full);
  const all = [...tp.full, ...tp.bare];
  const failures = (rounds: LoadResult[]) => rounds.reduce((sum, r) => sum + r.errors + r.timeouts + r.non2xx, 0);
  const cleanRun = failures(all) === 0;
  const busiestOther = Math.max(...all.map((r) => r.otherCpu));
  const perActor = (mem.after.rss - mem.before.rss) / mem.actors;
  const heapPerActor = (mem.after.heapUsed - mem.before.heapUsed) / mem.actors;
  const memoryOk = mem.after.rss <= TARGET_RSS_BYTES && mem.actors === MEMORY_FLEET && mem.online === MEMORY_FLEET;
  return [
    '# Heartbeat benchmark: the whole service',
    '',
    '## Machine',
    '',
    `- Date: ${machine.date}`,
    `- CPU: ${machine.cpuModel} × ${machine.cores} cores; memory ${fmt(machine.memoryGiB)} GiB; Linux ${machine.kernel}`,
    `- Node: ${machine.node}; load generator: wrk ${input.wrkVersion} (Debian's package: \`apt-get install wrk\`), its own process`,
    `- Code: ${machine.commit}`,
    `- Load average (1/5/15 min) at start: ${machine.loadAverage}; at the end: ${input.loadAfter}`,
    `- CPU pinning: ${pinning.note}. With two cores the load generator would otherwise compete with the server for the same CPU; both servers run under the same pinning, so the ratio compares like with like.`,
    `- Other processes on the machine used up to ${fmt(busiestOther * 100)} % of a core during a measured window (column "other" below); they share both cores with the processes measured, so absolute figures vary from run to run. Server CPU per request is the figure least affected by them.`,
    '',
    '## Targets',
    '',
    '| Target | Result | Verdict |',
    '| --- | --- | --- |',
    `| Full-stack heartbeats ≥ ${TARGET_RATIO * 100} % of a bare \`node:http\` server (best round of each) | ${fmt(full.requestsPerSecond)} / ${fmt(bare.requestsPerSecond)} req/s = **${fmt(ratio * 100, 1)} %** | ${verdict(ratio >= TARGET_RATIO)} |`,
    `| No errors, timeouts or non-2xx answers under load | ${failures(tp.full)} for the full stack, ${failures(tp.bare)} for the bare server, over ${all.length} rounds | ${verdict(cleanRun)} |`,
    `| RSS with ${fmt(MEMORY_FLEET)} connected sensor actors ≤ 1 GiB | **${mib(mem.after.rss)}** (${fmt(mem.online)} of ${fmt(mem.actors)} actors online) | ${verdict(memoryOk)} |`,
    '',
    '## Heartbeat throughput',
    '',
    `Load: wrk, **${LOAD.threads} thread, ${LOAD.connections} keep-alive connections, ${LOAD.durationSeconds} s measured** after ${LOAD.warmupSeconds} s of identical warm-up load (a separate wrk run, not counted), request timeout ${LOAD.timeoutSeconds} s;`,
    `${ROUNDS} rounds per server, alternating full stack and bare server, the best round of each compared.`,
    `Every request is \`POST /api/agent/heartbeat\` with \`Authorization: Bearer <sensor API key>\`, \`Content-Type: application/json\` and the body`,
    `\`{"agentId":"<id>","status":"idle","activeScans":0,"uptimeSeconds":3600}\`, the agent id cycling over all ${fmt(THROUGHPUT_FLEET)} registered sensors (the Lua script \`tests/bench/heartbeat/heartbeat.lua\` builds each request's body in its \`request()\` function; the ids and the key reach it through a file).`,
    "Latency percentiles, errors and answers come from wrk's own summary (its \`done()\` hook prints them as JSON); errors are connect, read and write errors; non-2xx counts answers with a status of 400 or more, which wrk counts itself.",
    'CPU columns: share of one core used over the measured window by the server process, by wrk (its own CPU time over its run, `os.clock()` in `done()`), and by all other processes on the machine; µs/request is server CPU time divided by requests answered. A load generator well below 100 % of its core is not what limits the rate.',
    '',
    '| Server | Requests/s | p50 ms | p90 ms | p99 ms | max ms | 2xx answers | errors / timeouts / non-2xx | server CPU | server CPU µs/request | load generator CPU | other |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |',
    ...tp.full.map((r, i) => loadRow('Full stack', i + 1, r, r === full)),
    ...tp.bare.map((r, i) => loadRow('Bare `node:http`', i + 1, r, r === bare)),
    '',
    `Full stack / bare, requests per second (best rounds): **${fmt(ratio * 100, 1)} %**. By server CPU per request (bare ${fmt(perRequestUs(bare))} µs, full stack ${fmt(perRequestUs(full))} µs): ${fmt(cpuRatio * 100, 1)} %.`,
    '',
    `- Full stack: the built service as \`npm start\` runs it (\`node server/dist/runtime/launch.js\`, default settings; the measured process is the service it starts, here with \`${tp.serviceOptions}\`) with its embedded SQLite event store in a fresh temporary directory; ${fmt(THROUGHPUT_FLEET)} sensors registered first through \`POST /api/agent/register\` (${REGISTER_CONCURRENCY} concurrent requests, ${fmt(tp.registerSeconds, 1)} s), under one API key created through \`apiKeys.create\`.`,
    `- Live sensor actors before the load: ${fmt(tp.actorsBefore)}; after: ${fmt(tp.actorsAfter)}, ${fmt(tp.onlineAfter)} of them online (\`fleet.summary\`). A heartbeat from an unknown id would have created a sensor, so every request named a registered one.`,
    `- A heartbeat answer: \`${JSON.stringify(tp.sampleAck)}\`. A heartbeat from an online sensor changes no state and appends nothing to the event store: it authenticates the key, validates the body and records the contact time on the sensor actor's contact clock, which its offline timer reads when it fires (the deadline moves to contact + threshold without a machine step).`,
    `- Server RSS at the end of a full-stack round: ${mib(tp.rssUnderLoad)}.`,
    '- Bare server: `node --input-type=module --eval <source>` with the source in `tests/bench/heartbeat/bare-server.ts`, its own process, sent the very same requests; it reads each body and answers 200 with the text of the heartbeat answer above (same JSON, same length), its `Content-Type` and `Content-Length`, and nothing else.',
    '',
    '## Memory with 100 000 connected sensor actors',
    '',
    '| Reading | RSS | V8 heap used | V8 heap total | external |',
    '| --- | ---: | ---: | ---: | ---: |',
    `| Before registering (service ready, one API key) | ${mib(mem.before.rss)} | ${mib(mem.before.heapUsed)} | ${mib(mem.before.heapTotal)} | ${mib(mem.before.external)} |`,
    `| ${fmt(mem.actors)} sensors registered, after ${SETTLE_MS / 1000} s idle | ${mib(mem.afterIdle)} | | | |`,
    `| ${fmt(mem.actors)} sensors registered, after a forced full GC | **${mib(mem.after.rss)}** | ${mib(mem.after.heapUsed)} | ${mib(mem.after.heapTotal)} | ${mib(mem.after.external)} |`,
    '',
    `- Per sensor: ${fmt(perActor / 1024, 1)} KiB of RSS, of which ${fmt(heapPerActor / 1024, 1)} KiB is live V8 heap (sensor actor, write-model and read-model rows, indexes). Peak RSS (VmHWM) over the run: ${mib(mem.peak)}.`,
    `- How: a fresh service (same build and launcher, fresh temporary directory, pinned as above) started with \`--inspect=127.0.0.1:0\` (which the launcher passes on to the service) so the benchmark can force full garbage collections through the inspector (\`HeapProfiler.collectGarbage\`, twice, ${AFTER_GC_MS / 1000} s apart) before reading \`VmRSS\` from \`/proc/<pid>/status\`.`,
    `- The ${fmt(MEMORY_FLEET)} sensors are registered through \`POST /api/agent/register\`, ${REGISTER_CONCURRENCY} concurrent requests, each with its own name and host name (${fmt(mem.registerSeconds, 1)} s, ${fmt(MEMORY_FLEET / mem.registerSeconds)} registrations/s): each is a \`SensorRegistered\` event in the store and a started actor with its offline timer running.`,
    `- The offline threshold is raised to ${MEMORY_OFFLINE_AFTER_MS / 60_000} min for this server only (\`HARBORGUARD_OFFLINE_AFTER_MS\`), so the first sensors registered are still connected when memory is read; the threshold is only the delay of each actor's timer and does not change its size. Before and after the readings, \`fleet.summary\` reported ${fmt(mem.online)} of ${fmt(mem.actors)} sensors online.`,
    '',
    `Whole run: ${fmt(input.seconds)} s. Reproduce with \`npm run bench:heartbeat\`.`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const started = performance.now();
  setTimeout(() => {
    log(`no result after ${WATCHDOG_MS / 60_000} min: giving up`);
    process.exit(1);
  }, WATCHDOG_MS).unref();
  build();
  const pinning = pinLoadGenerator();
  log(pinning.note);
  const machine = machineInfo(ROOT);
  const wrk = wrkVersion();
  if (wrk === null) throw new Error('the load generator wrk is missing: apt-get install wrk');

  const tp = await throughput(pinning);
  const mem = await memory(pinning);

  const markdown = report({
    machine,
    pinning,
    throughput: tp,
    memory: mem,
    seconds: (performance.now() - started) / 1000,
    loadAfter: formatLoad(),
    wrkVersion: wrk,
  });
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, markdown);
  process.stdout.write(markdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench:heartbeat] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
