import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteEventStore, type RecordedEvent } from '@harborguard/eventstore';
import { SqliteReadModelStore } from '../../server/src/projections/read-model-store.js';
import { TrpcHttp } from '../support/http-clients.js';
import { wireSensor } from '../support/sensor-clients.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';

const ADMIN_TOKEN = 'shutdown-admin-token-0123456789ab';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function start(dataDir: string): Promise<ServerProcess> {
  const server = await startServerProcess({ HARBORGUARD_DATA_DIR: dataDir, HARBORGUARD_ADMIN_TOKEN: ADMIN_TOKEN });
  cleanup.push(() => server.kill9());
  return server;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hg-shutdown-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** What the next start will load: the event log, and the position the stored read models include. */
async function onDisk(dataDir: string): Promise<{ events: RecordedEvent[]; checkpoint: bigint | null }> {
  const log = SqliteEventStore.open(join(dataDir, 'events.sqlite'));
  const readModels = new SqliteReadModelStore(join(dataDir, 'readmodels.sqlite'));
  try {
    return { events: await log.readAll({ maxCount: 100_000 }), checkpoint: readModels.load().position };
  } finally {
    readModels.close();
    await log.close();
  }
}

/**
 * Sends a heartbeat's headers with `Expect: 100-continue` and holds its body back: once the
 * server says continue, the request is in flight. `finish` sends the body and resolves with the answer.
 */
async function heldRequest(url: string, key: string, body: unknown): Promise<{ finish(): Promise<{ status: number; connection: string | undefined }> }> {
  const { hostname, port } = new URL(url);
  const payload = JSON.stringify(body);
  const req = request({
    hostname,
    port,
    method: 'POST',
    path: '/api/agent/heartbeat',
    headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload), Authorization: `Bearer ${key}`, 'X-API-Key': key, Expect: '100-continue' },
  });
  const answered = new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
    req.once('response', (res) => {
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection }));
    });
    req.once('error', reject);
  });
  await new Promise<void>((resolve, reject) => {
    req.once('continue', resolve);
    req.once('error', reject);
    req.flushHeaders();
  });
  return {
    finish: () => {
      req.end(payload);
      return answered;
    },
  };
}

describe('graceful shutdown', () => {
  it('answers a request that was in flight when SIGTERM came, then exits cleanly', async () => {
    const dataDir = tempDir();
    const server = await start(dataDir);
    const { key } = await new TrpcHttp(server.url, ADMIN_TOKEN).do<{ key: string }>('mutation', 'apiKeys.create', { name: 'fleet' });
    const sensorId = await wireSensor(server.url, key).register({ name: 's1', hostname: 'h1' });
    const held = await heldRequest(server.url, key, { agentId: sensorId, status: 'idle', activeScans: 0, uptimeSeconds: 5 });

    server.child.kill('SIGTERM');
    await server.waitForOutput(/SIGTERM: shutting down/);
    // New connections are refused while the one in flight is still being answered.
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    const answer = await held.finish();
    expect(answer).toEqual({ status: 200, connection: 'close' });
    expect(await server.exited, server.output()).toBe(0);
    expect(server.output()).toMatch(/stopped: requests answered/);
  });

  it('loses nothing acknowledged and raises no false offline across a restart right after SIGTERM', async () => {
    const dataDir = tempDir();
    const first = await start(dataDir);
    const { key } = await new TrpcHttp(first.url, ADMIN_TOKEN).do<{ key: string }>('mutation', 'apiKeys.create', { name: 'fleet' });
    const sensors = wireSensor(first.url, key);
    const early: string[] = [];
    for (let i = 0; i < 10; i++) early.push(await sensors.register({ name: `early-${i}`, hostname: `e${i}` }));

    // Registrations and heartbeats still arriving when the signal does: each is answered or refused, never half done.
    const burst = Array.from({ length: 30 }, (_, i) =>
      (i % 3 === 0 ? sensors.heartbeat(early[i % early.length]!).then(() => null) : sensors.register({ name: `late-${i}`, hostname: `l${i}` })).catch(() => null),
    );
    await Promise.race(burst);
    first.child.kill('SIGTERM');
    expect(await first.exited, first.output()).toBe(0);
    const acknowledged = (await Promise.all(burst)).filter((id): id is string => id !== null);

    const { events: stored, checkpoint } = await onDisk(dataDir);
    // The read models and their checkpoint were written before exit: the next start has nothing to catch up.
    expect(checkpoint).toBe(stored.at(-1)!.position);

    const second = await start(dataDir);
    const admin = new TrpcHttp(second.url, ADMIN_TOKEN);
    for (const id of [...early, ...acknowledged]) {
      expect((await admin.do<{ sensor: { status: string } }>('query', 'sensors.get', { id })).sensor.status, id).toBe('online');
    }
    await second.stop();
    const afterRestart = (await onDisk(dataDir)).events;
    expect(afterRestart.map((event) => event.type)).not.toContain('SensorWentOffline');
    expect(afterRestart.length).toBe(stored.length);
  });
});
