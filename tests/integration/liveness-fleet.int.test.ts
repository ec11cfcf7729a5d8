import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, OFFLINE_AFTER_MS, TestServer } from '../support/test-server.js';
import { TrpcHttp } from '../support/http-clients.js';
import { wireSensor } from '../support/sensor-clients.js';

/** The service, an operator, and a sensor client holding the org's key. */
async function start() {
  const server = await TestServer.start();
  const admin = new TrpcHttp(server.url, ADMIN_TOKEN);
  const key: string = (await admin.do('mutation', 'apiKeys.create', { name: 'fleet' })).key;
  return { server, admin, key, sensor: wireSensor(server.url, key) };
}

describe('what the fleet views tell about liveness', () => {
  const fixture = {} as Awaited<ReturnType<typeof start>>;
  beforeEach(async () => void Object.assign(fixture, await start()));
  afterEach(() => fixture.server.destroy());
  const row = async (id: string) => (await fixture.admin.do('query', 'sensors.get', { id })).sensor;

  it('sensors sharing a host say so, and the summary counts hosts with more than one connected sensor', async () => {
    const { server, admin, sensor } = fixture;
    const a = await sensor.register({ name: 'replica-a', hostname: 'node-1' });
    const b = await sensor.register({ name: 'replica-b', hostname: 'node-1' });
    const alone = await sensor.register({ name: 'alone', hostname: 'node-2' });
    expect([(await row(a)).sameHostSensors, (await row(b)).sameHostSensors, (await row(alone)).sameHostSensors]).toEqual([1, 1, 0]);
    expect(await admin.do('query', 'fleet.summary')).toMatchObject({ total: 3, sharedHosts: 1 });

    // Only connected sensors count: once b is offline, a is alone on its host.
    await server.advance(OFFLINE_AFTER_MS - 1);
    await sensor.heartbeat(a);
    await sensor.heartbeat(alone);
    await server.advance(1);
    expect((await row(b)).status).toBe('offline');
    expect((await row(a)).sameHostSensors).toBe(0);
    expect(await admin.do('query', 'fleet.summary')).toMatchObject({ sharedHosts: 0 });
  });

  it('a row re-created from a bare heartbeat gets its details from the next registration naming its id', async () => {
    const { server, admin, sensor, key } = fixture;
    expect(await sensor.heartbeat('lost-agent-7')).toBe(200);
    expect(await row('lost-agent-7')).toMatchObject({ name: '', hostname: '' });
    const agent = new TrpcHttp(server.url, key);
    await agent.do('mutation', 'agent.register', { sensorId: 'lost-agent-7', name: 'scanner-7', hostname: 'node-7', capabilities: ['scan'] });
    expect(await row('lost-agent-7')).toMatchObject({ name: 'scanner-7', hostname: 'node-7', capabilities: ['scan'] });
    expect((await admin.do('query', 'sensors.list', {})).items.filter((item: { name: string }) => item.name === 'scanner-7')).toHaveLength(1);
  });

  it('a registry kept ACTIVE by one of its sensors lists the ones that are offline', async () => {
    const { server, admin, sensor } = fixture;
    const registryId = (await admin.do('mutation', 'registries.create', { name: 'harbor', url: 'harbor.example' })).id;
    const up = await sensor.register({ name: 'up', hostname: 'node-1' });
    const down = await sensor.register({ name: 'down', hostname: 'node-2' });
    for (const sensorId of [up, down]) await admin.do('mutation', 'sensors.bindRegistry', { sensorId, registryId });
    await server.advance(OFFLINE_AFTER_MS - 1);
    await sensor.heartbeat(up);
    await server.advance(1);
    expect(await admin.do('query', 'registries.get', { id: registryId })).toMatchObject({ status: 'ACTIVE', offlineSensors: [{ id: down, name: 'down' }] });
  });
});
