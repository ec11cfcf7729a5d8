import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bearer, TrpcHttp, wire } from '../support/http-clients.js';
import { wireSensor } from '../support/sensor-clients.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';

const ADMIN_TOKEN = 'logs-admin-token-0123456789abcdef';
const METRICS_TOKEN = 'logs-metrics-token-0123456789abcdef';
const WRONG_KEY = 'hg_ak_ffffffffffffffffffffffffffffffff';
const WRONG_METRICS_TOKEN = 'not-the-metrics-token-9876543210';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function start(): Promise<ServerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hg-logs-'));
  cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const server = await startServerProcess({ HARBORGUARD_DATA_DIR: dataDir, HARBORGUARD_ADMIN_TOKEN: ADMIN_TOKEN, HARBORGUARD_METRICS_TOKEN: METRICS_TOKEN, HARBORGUARD_LOG_LEVEL: 'debug' });
  cleanup.push(() => server.kill9());
  return server;
}

/** Every line the process wrote, each of which must be one JSON object. */
function records(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('logs', () => {
  it('writes JSON lines, one per request with its id, and never a credential', async () => {
    const server = await start();
    const admin = new TrpcHttp(server.url, ADMIN_TOKEN);
    const { key } = await admin.do<{ key: string }>('mutation', 'apiKeys.create', { name: 'fleet' });
    const sensorId = await wireSensor(server.url, key).register({ name: 's1', hostname: 'h1' });
    expect((await wire(server.url, key, 'POST', '/api/agent/heartbeat', { agentId: sensorId, status: 'idle', activeScans: 0, uptimeSeconds: 1 })).status).toBe(200);
    expect((await wire(server.url, WRONG_KEY, 'POST', '/api/agent/heartbeat', { agentId: sensorId, status: 'idle', activeScans: 0, uptimeSeconds: 1 })).status).toBe(401);
    const signIn = await fetch(`${server.url}/api/session`, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: server.url }, body: JSON.stringify({ token: ADMIN_TOKEN }) });
    expect(signIn.status).toBe(200);
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    expect((await fetch(`${server.url}/api/session`, { headers: { Cookie: cookie } })).status).toBe(200);
    expect((await fetch(`${server.url}/metrics`, { headers: bearer(METRICS_TOKEN) })).status).toBe(200);
    expect((await fetch(`${server.url}/metrics`, { headers: bearer(WRONG_METRICS_TOKEN) })).status).toBe(401);
    // A secret in a query string, where no client should put it.
    expect((await fetch(`${server.url}/api/nothing?token=${ADMIN_TOKEN}&key=${key}`)).status).toBe(404);
    const traced = await fetch(`${server.url}/healthz`, { headers: { 'X-Request-Id': 'trace-42' } });
    expect(traced.headers.get('x-request-id')).toBe('trace-42');
    const generated = (await fetch(`${server.url}/readyz`)).headers.get('x-request-id');
    await server.stop();

    const output = server.output();
    const lines = records(output);
    const requests = lines.filter((line) => typeof line['path'] === 'string');
    expect(requests.length).toBeGreaterThanOrEqual(11);
    for (const line of requests) expect(line).toMatchObject({ requestId: expect.any(String), method: expect.any(String), status: expect.any(Number), level: expect.any(String) });
    expect(requests.find((line) => line['requestId'] === 'trace-42')).toMatchObject({ path: '/healthz', status: 200 });
    expect(requests.find((line) => line['requestId'] === generated)).toMatchObject({ path: '/readyz' });
    expect(requests.find((line) => line['status'] === 401 && line['path'] === '/api/agent/heartbeat')).toMatchObject({ level: 'info' });
    for (const secret of [ADMIN_TOKEN, METRICS_TOKEN, key, key.slice(6), WRONG_KEY.slice(6), WRONG_METRICS_TOKEN, cookie.split('=')[1]!]) expect(output).not.toContain(secret);
  });
});
