/**
 * A fleet in one process: `npm run bench:fleet -- --sensors N` (default 100 000).
 *
 * Through a crash (the default): the built service, started the way operators start it, on the
 * embedded store in a fresh directory. N sensors register through the wire route and go offline;
 * every one comes back with a heartbeat and goes offline again; one in a hundred comes back once more. Then
 * the service is killed with SIGKILL and started on the same data directory: how long the rebuild
 * takes, the peak resident set of each run, whether every sensor came back in the state it had,
 * and the offline detection lag of both waves, exactly, from the audit trail.
 *
 * Under load (`--load`): N sensors heartbeat on the product's schedule while one in a hundred
 * stops; the lag with which those are declared offline, and that no other sensor is.
 *
 * Each writes its section of bench/results/fleet.md.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { JsonClient, createApiKey, liveActors, registerFleet } from './heartbeat/http.js';
import { machineInfo } from './heartbeat/machine.js';
import { makeTempDir, removeTempDir } from './heartbeat/processes.js';
import { heartbeatEach, measureTable, summary, summaryWhen, type StatusCounts } from './fleet-helpers.js';
import { CONCURRENCY, ROOT, build, fmt, kill9, log, mib, since, start, type Service } from './fleet-service.js';
import { describeLag, describeTimeline, offlineLag, type OfflineLag } from './offline-lag.js';
import { runUnderLoad, underLoadCommand } from './fleet-under-load.js';
import { describeRuntime, readRuntime } from './fleet-gc.js';

const RESULTS = join(ROOT, 'bench/results/fleet.md');
const { values } = parseArgs({ options: { sensors: { type: 'string', default: '100000' }, load: { type: 'boolean', default: false } } });
const SENSORS = Number(values.sensors);
if (!Number.isInteger(SENSORS) || SENSORS < 100) throw new Error('--sensors must be a whole number, at least 100');
/** Short, so the fleet goes offline during the run; long enough to read the state after a restart. */
const OFFLINE_AFTER_MS = 30_000;
/**
 * After the crash no sensor calls again, so the restart gets a threshold longer than start-up
 * takes: otherwise the sensors restored online would go offline, correctly, before their state
 * could be read. The threshold is a setting, not stored state.
 */
const RESTART_OFFLINE_AFTER_MS = 15 * 60_000;
const COMEBACK_SHARE = 100;

/** One heartbeat from each of the first `count` sensors; returns how many were answered `online`. */
const heartbeat = (client: JsonClient, apiKey: string, ids: string[], count: number): Promise<number> =>
  heartbeatEach(client, apiKey, ids, count, CONCURRENCY, (done) => log(`  ${fmt(done)} heartbeats`));

const onceEach = (wave: OfflineLag) => wave.sensors === SENSORS && wave.repeated === 0;
const missedOrDoubled = (wave: OfflineLag) => `${fmt(SENSORS - wave.sensors)} missed, ${fmt(wave.repeated)} doubled`;
const same = (a: StatusCounts, b: StatusCounts) => a.total === b.total && a.online === b.online && a.scanning === b.scanning && a.offline === b.offline;
const counts = (c: StatusCounts) => `${fmt(c.total)} total: ${fmt(c.online)} online, ${fmt(c.scanning)} scanning, ${fmt(c.offline)} offline`;

async function run(): Promise<string[][]> {
  const dataDir = makeTempDir('hg-fleet-bench-');
  const adminToken = randomBytes(24).toString('hex');
  let current: Service | undefined;
  try {
    const first = (current = await start(dataDir, adminToken, OFFLINE_AFTER_MS, SENSORS));
    log(`first start ready in ${first.readySeconds.toFixed(1)} s (${first.heapLine})`);
    const apiKey = await createApiKey(first.client, adminToken, 'fleet-bench');
    const runtime0 = await readRuntime(first.url);
    const registerStart = performance.now();
    const wave1From = new Date().toISOString();
    const ids = await registerFleet(first.client, apiKey, SENSORS, CONCURRENCY, (done) => {
      if (done % 50_000 === 0) log(`  ${fmt(done)} registered, RSS ${mib(first.rss.peak)} peak`);
    });
    const registerSeconds = since(registerStart);
    log(`registered ${fmt(SENSORS)} in ${registerSeconds.toFixed(1)} s; waiting for all to go offline`);
    await summaryWhen(first.client, adminToken, (c) => c.offline === SENSORS, 'every sensor offline', OFFLINE_AFTER_MS + 30 * 60_000);
    const wave2From = new Date().toISOString();
    const runtime1 = await readRuntime(first.url);
    const backStart = performance.now();
    const cameBack = await heartbeat(first.client, apiKey, ids, SENSORS);
    const backSeconds = since(backStart);
    log(`${fmt(cameBack)} came back online in ${backSeconds.toFixed(1)} s; waiting for all to go offline again`);
    await summaryWhen(first.client, adminToken, (c) => c.offline === SENSORS, 'every sensor offline again', OFFLINE_AFTER_MS + 30 * 60_000);
    const wave2Until = new Date().toISOString();
    const runtime2 = await readRuntime(first.url);
    first.rss.sample();
    const peakBeforeExport = first.rss.peak;
    log('reading the offline events of both waves from the audit trail');
    const wave1 = await offlineLag(first.url, adminToken, { from: wave1From, until: wave2From });
    const wave2 = await offlineLag(first.url, adminToken, { from: wave2From, until: wave2Until });
    log(`lag through the first wave: ${describeTimeline(wave1)}`);
    log(`lag through the second wave: ${describeTimeline(wave2)}`);
    // Few enough to come back well within the threshold, so they are all online together at the kill.
    const returning = Math.floor(SENSORS / COMEBACK_SHARE);
    const backAgain = await heartbeat(first.client, apiKey, ids, returning);
    const before = await summaryWhen(first.client, adminToken, (c) => c.online === returning && c.offline === SENSORS - returning, `${returning} online`, OFFLINE_AFTER_MS);
    const actorsBefore = await liveActors(first.client);
    await kill9(first);
    log(`killed with SIGKILL at ${counts(before)}; peak RSS ${mib(first.rss.peak)}; restarting`);

    const second = (current = await start(dataDir, adminToken, RESTART_OFFLINE_AFTER_MS, SENSORS));
    const after = await summary(second.client, adminToken);
    const actorsAfter = await liveActors(second.client);
    second.rss.stop();
    log(`restart ready in ${second.readySeconds.toFixed(1)} s: ${counts(after)}; peak RSS ${mib(second.rss.peak)}`);
    await second.launcher.stop();
    second.client.close();
    return [
      ['Heap limit and V8 threads chosen by `npm start`', first.heapLine.replace('JavaScript heap limit ', '')],
      ['Sensors registered (wire route, 32 concurrent)', `${fmt(SENSORS)} in ${fmt(registerSeconds, 1)} s (${fmt(SENSORS / registerSeconds)}/s)`],
      ['Came back online (heartbeat after going offline)', `${fmt(cameBack)} of ${fmt(SENSORS)} in ${fmt(backSeconds, 1)} s`],
      ['State at the kill (`fleet.summary`) / actors', `${counts(before)} (${fmt(backAgain)} came back a second time) / ${fmt(actorsBefore)}`],
      ['Offline detection lag, first wave (while registrations arrive)', describeLag(wave1)],
      ['Offline detection lag, second wave (after every sensor came back)', describeLag(wave2)],
      ['Service runtime, registration and first wave', describeRuntime(runtime0, runtime1)],
      ['Service runtime, comeback and second wave', describeRuntime(runtime1, runtime2)],
      ['Each sensor declared offline exactly once per wave', onceEach(wave1) && onceEach(wave2) ? '**yes**' : `**NO** (${missedOrDoubled(wave1)}; ${missedOrDoubled(wave2)})`],
      ['Connections the service reset before answering (each call sent again)', fmt(first.client.resets)],
      ['Peak RSS, first run (registration, offline, comeback; then the audit export of both waves)', `**${mib(first.rss.peak)}** (${mib(peakBeforeExport)} before the export)`],
      ['Restart after `kill -9`: spawn to ready (rebuild from the store)', `**${fmt(second.readySeconds, 1)} s**`],
      ['Peak RSS, restart', `**${mib(second.rss.peak)}**`],
      ['State after the restart / actors', `${counts(after)} / ${fmt(actorsAfter)}`],
      ['Every sensor back in its stored state', same(before, after) && actorsAfter === actorsBefore ? '**yes**' : '**NO**'],
    ];
  } catch (error) {
    if (current) log(`the service's last output:\n${current.launcher.stderr().slice(-6_000)}`);
    throw error;
  } finally {
    removeTempDir(dataDir);
  }
}

/** The results file keeps one section per scenario and fleet size; a run replaces its own. */
function writeSection(title: string, command: string, rows: string[][]): void {
  const machine = machineInfo(ROOT);
  const section = [
    title,
    '',
    `- ${machine.date}; code ${machine.commit}; Node ${machine.node}; ${machine.cores} × ${machine.cpuModel}, ${fmt(machine.memoryGiB, 1)} GiB; load ${machine.loadAverage} (shared machine)`,
    `- Command: ${command}; embedded SQLite store.`,
    '',
    measureTable(rows),
  ].join('\n');
  const header = '# Fleet benchmark: one process, a crash, a restart; and a fleet under load\n\nWritten by `tests/bench/fleet.bench.ts`; one section per scenario and fleet size, the latest run of each.\n\n';
  const old = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : header;
  const sections = old.slice(old.indexOf('## ') >= 0 ? old.indexOf('## ') : old.length).split(/(?=^## )/m).filter((s) => s.trim() !== '' && !s.startsWith(`${title}\n`));
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, header + [...sections, section + '\n'].join(''));
}

build();
if (values.load) {
  const rows = await runUnderLoad(SENSORS);
  writeSection(`## ${fmt(SENSORS)} sensors under full heartbeat load`, underLoadCommand(SENSORS), rows);
  console.log(rows.map(([m, r]) => `${m}: ${r}`).join('\n'));
} else {
  const rows = await run();
  const command = `\`npm run bench:fleet -- --sensors ${SENSORS}\`; offline after ${OFFLINE_AFTER_MS / 1000} s without contact (${RESTART_OFFLINE_AFTER_MS / 60_000} min after the restart, when no sensor calls)`;
  writeSection(`## ${fmt(SENSORS)} sensors`, command, rows);
  console.log(rows.map(([m, r]) => `${m}: ${r}`).join('\n'));
}
