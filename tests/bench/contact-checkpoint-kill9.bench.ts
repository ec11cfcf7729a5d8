/**
 * How far off is a sensor's last heartbeat after a `kill -9`? Runs the built service as its own
 * process, keeps sensors heartbeating, kills the process at a random moment, starts it again
 * and compares, per sensor, the last acknowledged heartbeat (the server's receive time, from
 * its answer) with `lastHeartbeatAt` of the `SensorWentOffline` it records after the restart.
 * Writes bench/results/contact-checkpoint.md. Times are scaled down (checkpoint every second)
 * so a run takes a minute; the error scales with the interval.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrpcHttp } from '../support/http-clients.js';
import { startServerProcess } from '../support/server-process.js';

const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';
const CHECKPOINT_MS = 1_000;
const OFFLINE_AFTER_MS = 3_000;
const SENSORS = 20;
const TRIALS = 6;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function trial(heartbeatMs: number): Promise<{ maxErrorMs: number; minErrorMs: number; sensors: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hg-kill9-'));
  const env = {
    HARBORGUARD_DATA_DIR: dataDir,
    HARBORGUARD_ADMIN_TOKEN: ADMIN_TOKEN,
    HARBORGUARD_OFFLINE_AFTER_MS: String(OFFLINE_AFTER_MS),
    HARBORGUARD_CONTACT_CHECKPOINT_MS: String(CHECKPOINT_MS),
  };
  try {
    let server = await startServerProcess(env);
    const admin = new TrpcHttp(server.url, ADMIN_TOKEN);
    const { key } = await admin.do('mutation', 'apiKeys.create', { name: 'fleet' });
    const agent = new TrpcHttp(server.url, key);
    const ids: string[] = [];
    for (let i = 0; i < SENSORS; i++) ids.push((await agent.do('mutation', 'agent.register', { name: `s-${i}`, hostname: `h-${i}`, capabilities: ['scan'] })).sensorId);
    const truth = new Map<string, number>();
    let running = true;
    const beat = async (id: string) => {
      while (running) {
        try {
          const ack = await agent.do('mutation', 'agent.heartbeat', { sensorId: id });
          truth.set(id, Date.parse(ack.serverTime));
        } catch {
          return; // the process is gone
        }
        await pause(heartbeatMs * (0.5 + Math.random()));
      }
    };
    const beating = ids.map((id) => beat(id));
    await pause(3 * CHECKPOINT_MS + Math.random() * 3 * CHECKPOINT_MS);
    await server.kill9();
    running = false;
    await Promise.all(beating);

    server = await startServerProcess(env);
    const admin2 = new TrpcHttp(server.url, ADMIN_TOKEN);
    // Every sensor goes offline one threshold after boot, carrying its last heartbeat.
    const offline = new Map<string, number>();
    while (offline.size < ids.length) {
      await pause(500);
      const { events } = await admin2.do('query', 'audit.events', { type: 'SensorWentOffline', limit: 1000 });
      for (const event of events as { data: { sensorId: string; lastHeartbeatAt: string } }[]) offline.set(event.data.sensorId, Date.parse(event.data.lastHeartbeatAt));
    }
    await server.stop();
    const errors = ids.map((id) => truth.get(id)! - offline.get(id)!);
    return { maxErrorMs: Math.max(...errors), minErrorMs: Math.min(...errors), sensors: ids.length };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const rows: string[] = [];
  for (const heartbeatMs of [300, 2_000]) {
    let worst = -Infinity;
    let best = Infinity;
    for (let i = 0; i < TRIALS; i++) {
      const result = await trial(heartbeatMs);
      worst = Math.max(worst, result.maxErrorMs);
      best = Math.min(best, result.minErrorMs);
      console.log(`heartbeat ~${heartbeatMs} ms, trial ${i + 1}: error ${result.minErrorMs}…${result.maxErrorMs} ms over ${result.sensors} sensors`);
    }
    rows.push(`| ~${heartbeatMs} ms (0.5–1.5×) | ${CHECKPOINT_MS} ms | ${TRIALS} × ${SENSORS} | ${best} ms | ${worst} ms |`);
  }
  const report = [
    '# Last heartbeat after kill -9',
    '',
    `\`npm run build && npx tsx tests/bench/contact-checkpoint-kill9.bench.ts\` on ${new Date().toISOString().slice(0, 10)}.`,
    'Error = last acknowledged heartbeat (server receive time) − `SensorWentOffline.lastHeartbeatAt` recorded after the restart.',
    '',
    '| heartbeat spacing | checkpoint interval | trials × sensors | smallest error | largest error |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/contact-checkpoint.md', report);
  console.log(report);
}

await main();
