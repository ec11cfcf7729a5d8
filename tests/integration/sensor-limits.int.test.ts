import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, TestServer } from '../support/test-server.js';
import { TrpcHttp, wire } from '../support/http-clients.js';

/** An org's sensor limit, and registration fields that cannot grow without bound. */
describe('sensor limits', () => {
  let server: TestServer;
  let admin: TrpcHttp;
  let key: string;
  const register = (name: string, extra: Record<string, unknown> = {}) =>
    wire<{ agentId?: string; error?: string }>(server.url, key, 'POST', '/api/agent/register', { name, hostname: 'node-1', version: '0.1.0', os: 'linux', arch: 'amd64', capabilities: ['scan'], ...extra });

  beforeEach(async () => {
    server = await TestServer.start({ maxSensorsPerOrg: 3 });
    admin = new TrpcHttp(server.url, ADMIN_TOKEN);
    key = (await admin.do<{ key: string }>('mutation', 'apiKeys.create', { name: 'fleet' })).key;
  });
  afterEach(() => server.destroy());

  it('refuses a sensor past the org’s limit with a clear 403, counting rows re-created from a bare heartbeat', async () => {
    expect((await register('a')).status).toBe(200);
    expect((await register('b')).status).toBe(200);
    const heartbeat = await wire(server.url, key, 'POST', '/api/agent/heartbeat', { agentId: 'unknown-sensor-1' });
    expect(heartbeat.status).toBe(200);
    const refused = await register('d');
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatch(/limit of 3 sensors.*HARBORGUARD_MAX_SENSORS_PER_ORG/);
    expect((await wire(server.url, key, 'POST', '/api/agent/heartbeat', { agentId: 'unknown-sensor-2' })).status).toBe(403);
    expect((await admin.do<{ total: number }>('query', 'sensors.list', {})).total).toBe(3);

    // Known sensors keep working; deleting one makes room.
    const a = (await register('a')).body.agentId!;
    expect((await wire(server.url, key, 'POST', '/api/agent/heartbeat', { agentId: a })).status).toBe(200);
    await admin.do('mutation', 'sensors.delete', { id: a });
    expect((await register('d')).status).toBe(200);
  });

  it('cuts a long scanner version instead of refusing the sensor, and refuses an endless scanner list', async () => {
    const longVersion = `trivy version 0.58.1 ${'x'.repeat(5_000)}`;
    const accepted = await register('scanner', { scannerVersions: { trivy: longVersion } });
    expect(accepted.status).toBe(200);
    const { sensor } = await admin.do<{ sensor: { scannerVersions: Record<string, string> } }>('query', 'sensors.get', { id: accepted.body.agentId });
    expect(sensor.scannerVersions['trivy']).toBe(longVersion.slice(0, 128));

    const many = Object.fromEntries(Array.from({ length: 40_000 }, (_, i) => [`scanner-${i}`, '1.0']));
    const refused = await register('hoarder', { scannerVersions: many });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatch(/scannerVersions: must list at most 32 scanners/);
  });
});
