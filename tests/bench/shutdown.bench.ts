/**
 * Graceful shutdown at fleet size: the built service with N connected sensors (default 100 000)
 * gets SIGTERM; how long until it has exited, whether the read models and their checkpoint were
 * stored, and whether a start right after restores every sensor without one going offline.
 * Run with `npx tsx tests/bench/shutdown.bench.ts [sensors]`; writes bench/results/shutdown.md.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { SqliteEventStore } from '../../eventstore/src/index.js';
import { SqliteReadModelStore } from '../../server/src/projections/read-model-store.js';
import { spawnServer, type SpawnedServer } from '../support/server-process.js';

const SENSORS = Number(process.argv[2] ?? 100_000);
const ADMIN = 'bench-admin-token-0123456789';
const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

async function seed(file: string): Promise<void> {
  const store = SqliteEventStore.open(file);
  const meta = { orgId: 'default', occurredAt: new Date().toISOString(), actor: { kind: 'sensor', id: 'bench' } };
  await store.appendToStream('org-default', [{ type: 'OrgCreated', data: { orgId: 'default', name: 'default' }, metadata: meta }], { expectedRevision: 'any' });
  for (let s = 0; s < SENSORS; s++) {
    const sensorId = randomUUID();
    const data = { sensorId, orgId: 'default', apiKeyId: 'key-1', autoCreated: false, name: `scanner-${s}`, hostname: `node-${s}`, version: '0.1.0', os: 'linux', arch: 'amd64', capabilities: ['scan'], scannerVersions: { trivy: '0.58.1' } };
    await store.appendToStream(`sensor-${sensorId}`, [{ type: 'SensorRegistered', data, metadata: meta }], { expectedRevision: 'any' });
  }
  await store.close();
}

async function metric(url: string, series: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return Number(line?.split(' ')[1]);
}

async function start(dataDir: string): Promise<{ server: SpawnedServer; url: string; readySeconds: number }> {
  const began = process.hrtime.bigint();
  const server = spawnServer({ HARBORGUARD_DATA_DIR: dataDir, HARBORGUARD_ADMIN_TOKEN: ADMIN });
  await server.waitForOutput(/ready:/, 300_000);
  const readySeconds = seconds(began);
  const [, url] = (await server.waitForOutput(/listening on (http:\/\/\S+)/)) as unknown as [string, string];
  return { server, url, readySeconds };
}

const dataDir = mkdtempSync(join(tmpdir(), 'hg-shutdown-bench-'));
try {
  const seedStart = process.hrtime.bigint();
  await seed(join(dataDir, 'events.sqlite'));
  const seedSeconds = seconds(seedStart);

  const first = await start(dataDir);
  const actors = await metric(first.url, 'harborguard_sensor_actors');
  const rssBytes = await metric(first.url, 'process_resident_memory_bytes');
  const stopBegan = process.hrtime.bigint();
  first.server.child.kill('SIGTERM');
  const exitCode = await first.server.exited;
  const shutdownSeconds = seconds(stopBegan);

  const log = SqliteEventStore.open(join(dataDir, 'events.sqlite'));
  const [head] = await log.readAll({ direction: 'backwards', fromPosition: 'end', maxCount: 1 });
  await log.close();
  const readModels = new SqliteReadModelStore(join(dataDir, 'readmodels.sqlite'));
  const checkpoint = readModels.load().position;
  readModels.close();

  const second = await start(dataDir);
  const restored = await metric(second.url, 'harborguard_sensor_actors');
  const offline = await metric(second.url, 'harborguard_sensors{status="offline"}');
  await second.server.stop();

  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim();
  const rows = [
    ['Sensors seeded (one SensorRegistered each)', `${SENSORS.toLocaleString('en-US')} in ${seedSeconds.toFixed(1)} s`],
    ['First start: spawn to ready (rebuild, read models from the log)', `${first.readySeconds.toFixed(2)} s`],
    ['Actors running / RSS before SIGTERM', `${actors.toLocaleString('en-US')} / ${Math.round(rssBytes / 2 ** 20)} MiB`],
    ['SIGTERM to exit', `**${shutdownSeconds.toFixed(2)} s** (exit code ${exitCode}; target ≤ 10 s)`],
    ['Read-model checkpoint stored = last event of the log', `${checkpoint === head?.position ? 'yes' : 'NO'} (${checkpoint} / ${head?.position})`],
    ['Second start: spawn to ready (read models loaded from file)', `${second.readySeconds.toFixed(2)} s`],
    ['Actors restored / offline after the restart', `${restored.toLocaleString('en-US')} / ${offline}`],
  ];
  const report = [
    '# Graceful shutdown benchmark',
    '',
    `- Date: ${new Date().toISOString()}; code ${commit}; Node ${process.version}; ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}`,
    '- The built service (`node server/dist/main.js`) on the embedded store; no requests in flight at the signal.',
    '- Command: `npx tsx tests/bench/shutdown.bench.ts ' + SENSORS + '`',
    '',
    '| Measure | Result |',
    '| --- | --- |',
    ...rows.map(([measure, result]) => `| ${measure} | ${result} |`),
    '',
  ].join('\n');
  const out = join(dirname(fileURLToPath(import.meta.url)), '../../bench/results/shutdown.md');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, report);
  console.log(report);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
