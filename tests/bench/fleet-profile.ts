/**
 * A profile of the service through a fleet's comeback wave, the part of the fleet benchmark
 * that costs the most CPU: N sensors register and go offline, then each sends one heartbeat
 * (32 in flight) and goes offline again 30 s later. The service runs as `npm start` runs it,
 * with its inspector open; the profile covers the heartbeats and the second offline wave.
 *
 *   npx tsx tests/bench/fleet-profile.ts [sensors=300000] [cpu|alloc] [out=bench/tmp/fleet-profile.<kind>.json]
 *
 * `cpu` samples the CPU every 200 µs (open the file in Chrome DevTools or speedscope); `alloc`
 * samples allocations every 16 KiB, including objects already collected, to show what the wave
 * allocates rather than what it keeps. Figures for the wave are printed: how long the heartbeats
 * took and, for `cpu`, the service's busy CPU time over the profile.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createApiKey, registerFleet } from './heartbeat/http.js';
import { InspectorSession } from './heartbeat/inspector.js';
import { makeTempDir } from './heartbeat/processes.js';
import { heartbeatEach, summaryWhen } from './fleet-helpers.js';
import { serviceChildPid } from '../support/server-process.js';
import { CONCURRENCY, build, fmt, log, since, start } from './fleet-service.js';

const sensors = Number(process.argv[2] ?? 300_000);
const kind = process.argv[3] ?? 'cpu';
const out = process.argv[4] ?? `bench/tmp/fleet-profile.${kind}.json`;
if (!Number.isInteger(sensors) || sensors <= 0 || (kind !== 'cpu' && kind !== 'alloc')) {
  console.error('usage: npx tsx tests/bench/fleet-profile.ts [sensors] [cpu|alloc] [out]');
  process.exit(2);
}
const OFFLINE_AFTER_MS = 30_000;
const WAIT_MS = 60 * 60_000;

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Sampled time outside `(idle)`, in seconds. */
function busySeconds(profile: CpuProfile): number {
  const idle = new Set(profile.nodes.filter((node) => node.callFrame.functionName === '(idle)').map((node) => node.id));
  let busy = 0;
  profile.samples.forEach((id, index) => {
    if (!idle.has(id)) busy += profile.timeDeltas[index] ?? 0;
  });
  return busy / 1e6;
}

build();
const adminToken = randomBytes(24).toString('hex');
// The launcher passes its options on, so both processes open an inspector: the service's is the last announced.
const service = await start(makeTempDir('hg-fleet-profile-'), adminToken, OFFLINE_AFTER_MS, sensors, ['--inspect=127.0.0.1:0']);
try {
  const inspectorUrl = [...service.launcher.stderr().matchAll(/Debugger listening on (ws:\S+)/g)].at(-1)?.[1];
  if (inspectorUrl === undefined) throw new Error("the service's inspector did not announce itself");
  const apiKey = await createApiKey(service.client, adminToken, 'fleet-profile');
  log(`registering ${fmt(sensors)} sensors`);
  const ids = await registerFleet(service.client, apiKey, sensors, CONCURRENCY, () => {});
  await summaryWhen(service.client, adminToken, (counts) => counts.offline === sensors, 'all offline', WAIT_MS);

  const inspector = await InspectorSession.connect(inspectorUrl);
  if (kind === 'cpu') {
    await inspector.call('Profiler.enable');
    await inspector.call('Profiler.setSamplingInterval', { interval: 200 });
    await inspector.call('Profiler.start');
  } else {
    await inspector.call('HeapProfiler.enable');
    await inspector.call('HeapProfiler.startSampling', { samplingInterval: 16_384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  }
  const began = performance.now();
  await heartbeatEach(service.client, apiKey, ids, sensors, CONCURRENCY);
  log(`${fmt(sensors)} came back in ${fmt(since(began), 1)} s`);
  await summaryWhen(service.client, adminToken, (counts) => counts.offline === sensors, 'all offline again', WAIT_MS);
  const { profile } = (await inspector.call(kind === 'cpu' ? 'Profiler.stop' : 'HeapProfiler.stopSampling')) as { profile: CpuProfile };
  inspector.close();
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(profile));
  if (kind === 'cpu') log(`service busy for ${fmt(busySeconds(profile), 1)} s of CPU over the wave (sampled)`);
  log(`profile written to ${out}`);
} finally {
  const pid = serviceChildPid(service.launcher.pid);
  if (pid !== null) process.kill(pid, 'SIGKILL');
}
process.exit(0);
