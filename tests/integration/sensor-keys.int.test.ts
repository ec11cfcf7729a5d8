import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, TestServer } from '../support/test-server.js';
import { TrpcHttp } from '../support/http-clients.js';
import { trpcSensor, wireSensor, type SensorClient } from '../support/sensor-clients.js';

/** Which key a sensor speaks with: the one it registered with, and another of the org once it registers with it. */
describe.each([
  ['tRPC', trpcSensor],
  ['wire', wireSensor],
] as const)('sensor identity and keys through %s', (_kind, makeClient) => {
  let server: TestServer;
  let admin: TrpcHttp;
  let withA: SensorClient;
  let withB: SensorClient;
  const identity = { name: 'scanner-eu-1', hostname: 'node-7' };

  beforeEach(async () => {
    server = await TestServer.start();
    admin = new TrpcHttp(server.url, ADMIN_TOKEN);
    const keyOf = async (name: string) => (await admin.do<{ key: string }>('mutation', 'apiKeys.create', { name })).key;
    withA = makeClient(server.url, await keyOf('a'));
    withB = makeClient(server.url, await keyOf('b'));
  });

  afterEach(() => server.destroy());

  it('another key of the org cannot speak for a sensor it did not register (403)', async () => {
    const id = await withA.register(identity);
    expect(await withB.heartbeat(id)).toBe(403);
    expect((await withB.poll(id)).status).toBe(403);
    expect(await withA.heartbeat(id)).toBe(200);
  });

  it('a sensor restarted with another key of the org keeps its row, binding and history, and the trail says so', async () => {
    const id = await withA.register(identity);
    const registryId = (await admin.do<{ id: string }>('mutation', 'registries.create', { name: 'harbor', url: 'harbor.example' })).id;
    await admin.do('mutation', 'sensors.bindRegistry', { sensorId: id, registryId });

    expect(await withB.register(identity)).toBe(id);
    const { items, total } = await admin.do<{ items: { id: string; registry: { id: string } | null }[]; total: number }>('query', 'sensors.list', {});
    expect(total).toBe(1);
    expect(items[0]).toMatchObject({ id, registry: { id: registryId } });
    const changed = (await server.stream(`sensor-${id}`)).filter((event) => event.type === 'SensorApiKeyChanged');
    expect(changed).toHaveLength(1);
    expect(await withB.heartbeat(id)).toBe(200);
    expect(await withA.heartbeat(id)).toBe(403);
  });

  it('the same name and host in another org is another sensor, invisible to the first org', async () => {
    const id = await withA.register(identity);
    const org = await admin.do<{ id: string }>('mutation', 'orgs.create', { name: 'acme' });
    const acmeAdmin = admin.as((await admin.do<{ token: string }>('mutation', 'tokens.create', { role: 'admin', name: 'acme-admin', orgId: org.id })).token);
    const acmeKey = (await acmeAdmin.do<{ key: string }>('mutation', 'apiKeys.create', { name: 'acme' })).key;
    const acmeId = await makeClient(server.url, acmeKey).register(identity);
    expect(acmeId).not.toBe(id);
    expect((await admin.do<{ items: { id: string }[] }>('query', 'sensors.list', {})).items.map((s) => s.id)).toEqual([id]);
    // Naming the first org's sensor gives the other org a row of its own, as any unknown id would.
    expect(await makeClient(server.url, acmeKey).heartbeat(id)).toBe(200);
    expect((await admin.do<{ items: { id: string }[] }>('query', 'sensors.list', {})).items.map((s) => s.id)).toEqual([id]);
  });
});
