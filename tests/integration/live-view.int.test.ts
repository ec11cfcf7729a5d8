import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LiveViewInput } from '@harborguard/shared';
import { ADMIN_TOKEN, OFFLINE_AFTER_MS, TestServer } from '../support/test-server.js';
import { TrpcHttp } from '../support/http-clients.js';
import { wireSensor, type SensorClient } from '../support/sensor-clients.js';
import { subscribeView } from '../support/live-client.js';

/** `live.view` over a real WebSocket: one page of the sensor list, and nothing else. */
describe('live page view', () => {
  let server: TestServer;
  let admin: TrpcHttp;
  let sensor: SensorClient;
  const subscribers: ReturnType<typeof subscribeView>[] = [];

  beforeEach(async () => {
    server = await TestServer.start();
    admin = new TrpcHttp(server.url, ADMIN_TOKEN);
    sensor = wireSensor(server.url, (await admin.do<{ key: string }>('mutation', 'apiKeys.create', { name: 'fleet' })).key);
  });

  afterEach(async () => {
    await Promise.all(subscribers.splice(0).map((subscriber) => subscriber.close()));
    await server.destroy();
  });

  function view(input: LiveViewInput, token = ADMIN_TOKEN) {
    const subscriber = subscribeView(server.url, token, input);
    subscribers.push(subscriber);
    return subscriber;
  }

  const rowIds = (subscriber: ReturnType<typeof view>) => subscriber.messages.flatMap((m) => m.data.sensors.map((row) => row.id));

  it('sends the status change of a shown row, and nothing for the rows it does not show', async () => {
    const ids: Record<string, string> = {};
    for (const name of ['alpha', 'bravo', 'charlie']) ids[name] = await sensor.register({ name, hostname: `${name}.lab` });
    // The first page of one row: alpha.
    const page = await admin.do<{ items: { id: string }[]; next: string | null }>('query', 'sensors.list', { limit: 1 });
    expect(page.items.map((row) => row.id)).toEqual([ids['alpha']]);
    const subscriber = view({ sensorIds: [ids['alpha']!], hasNext: page.next !== null });
    const first = await subscriber.waitFor(() => true);
    expect(first.data).toMatchObject({ sensors: [{ id: ids['alpha'], status: 'online' }], stale: false, summary: { total: 3, online: 3 } });

    // Bravo and charlie change (a binding, heartbeats), then everybody but charlie goes offline.
    const { id: registryId } = await admin.do<{ id: string }>('mutation', 'registries.create', { name: 'r', url: 'https://r.example' });
    await admin.do('mutation', 'sensors.bindRegistry', { sensorId: ids['bravo'], registryId });
    await server.advance(OFFLINE_AFTER_MS / 2);
    await sensor.heartbeat(ids['charlie']!);
    await server.advance(OFFLINE_AFTER_MS / 2);
    await server.settled();

    await subscriber.waitFor((m) => m.data.sensors.some((row) => row.id === ids['alpha'] && row.status === 'offline'));
    expect(new Set(rowIds(subscriber))).toEqual(new Set([ids['alpha']]));
    // Alpha moved in the list, bravo went offline ahead of it: the page asks to be fetched again.
    expect(subscriber.messages.some((m) => m.data.stale)).toBe(true);
  });

  it('shows each org only its own sensors, whatever ids it names', async () => {
    const mine = await sensor.register({ name: 'mine', hostname: 'h' });
    const { id: orgId } = await admin.do<{ id: string }>('mutation', 'orgs.create', { name: 'acme' });
    const acme = await admin.do<{ token: string }>('mutation', 'tokens.create', { role: 'admin', name: 'acme', orgId });
    const intruder = view({ sensorIds: [mine] }, acme.token);
    const owner = view({ sensorIds: [mine] });
    const first = await intruder.waitFor(() => true);
    expect(first.data).toMatchObject({ sensors: [], summary: { total: 0 } });

    await server.advance(OFFLINE_AFTER_MS);
    await server.settled();
    await owner.waitFor((m) => m.data.sensors.some((row) => row.id === mine && row.status === 'offline'));
    await sensor.heartbeat(mine);
    await owner.waitFor((m) => m.data.sensors.some((row) => row.id === mine && row.status === 'online'));
    expect(rowIds(intruder)).toEqual([]);
    expect(intruder.messages.every((m) => m.data.summary.total === 0)).toBe(true);
  });

  it('says the first page is stale when a new sensor sorts onto it', async () => {
    const alpha = await sensor.register({ name: 'alpha', hostname: 'h1' });
    await sensor.register({ name: 'charlie', hostname: 'h2' });
    const subscriber = view({ sensorIds: [alpha], hasNext: true });
    await subscriber.waitFor(() => true);
    await sensor.register({ name: 'zulu', hostname: 'h3' });
    await sensor.register({ name: 'aardvark', hostname: 'h4' });
    const stale = await subscriber.waitFor((m) => m.data.stale);
    expect(stale.data.sensors).toEqual([]);
    expect(rowIds(subscriber)).toEqual([alpha]);
  });

  it('pages the list forwards and back with the same rows, status and search filters applied', async () => {
    const names = ['delta', 'alpha', 'echo', 'charlie', 'bravo', 'foxtrot', 'golf'];
    const ids: Record<string, string> = {};
    for (const name of names) ids[name] = await sensor.register({ name, hostname: `${name}.lab` });
    await server.advance(OFFLINE_AFTER_MS / 2);
    for (const name of ['alpha', 'echo', 'bravo', 'golf']) await sensor.heartbeat(ids[name]!);
    await server.advance(OFFLINE_AFTER_MS / 2);
    await server.settled();

    type ListPage = { items: { name: string }[]; next: string | null; prev: string | null; total: number };
    const list = (input: object) => admin.do<ListPage>('query', 'sensors.list', { limit: 2, ...input });
    const forwards: string[][] = [];
    let page = await list({});
    expect(page.prev).toBeNull();
    for (;;) {
      forwards.push(page.items.map((row) => row.name));
      if (!page.next) break;
      page = await list({ cursor: page.next });
    }
    expect(forwards).toEqual([['charlie', 'delta'], ['foxtrot', 'alpha'], ['bravo', 'echo'], ['golf']]);
    const backwards: string[][] = [];
    while (page.prev) {
      page = await list({ before: page.prev });
      backwards.push(page.items.map((row) => row.name));
    }
    expect(backwards).toEqual([['bravo', 'echo'], ['foxtrot', 'alpha'], ['charlie', 'delta']]);

    const online = await list({ status: 'online', cursor: (await list({ status: 'online' })).next });
    expect([online.items.map((row) => row.name), online.total]).toEqual([['echo', 'golf'], 4]);
    expect((await list({ status: 'online', before: online.prev })).items.map((row) => row.name)).toEqual(['alpha', 'bravo']);
    const searched = await list({ search: 'o', cursor: (await list({ search: 'o' })).next });
    expect([searched.items.map((row) => row.name), searched.total, searched.next]).toEqual([['echo', 'golf'], 4, null]);
  });
});
