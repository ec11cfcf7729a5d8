import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { ADMIN_TOKEN, OFFLINE_AFTER_MS, TestServer } from '../support/test-server.js';
import { TrpcHttp } from '../support/http-clients.js';
import { wireSensor } from '../support/sensor-clients.js';
import { HttpReceiver, type ReceivedRequest } from '../support/notification-receivers.js';

const GATHER_MS = 500;
const notifications = { secretKey: 'storm-test-key-0123456789', stormThreshold: 3 };

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function start(options: { dataDir?: string; clock?: SimulatedClock } = {}) {
  const server = await TestServer.start({ ...options, notifications });
  cleanup.push(() => server.stop());
  return { server, admin: new TrpcHttp(server.url, ADMIN_TOKEN) };
}

/** Moves time on and waits for every message it causes to be sent. */
async function advance(server: TestServer, ms: number): Promise<void> {
  await server.advance(ms);
  await server.app.notifier.settled();
  await server.advance(GATHER_MS);
  await server.app.notifier.settled();
}

/** Sensor ids per grouped message, once repeats are dropped by delivery id. */
function groupedByDelivery(requests: ReceivedRequest[]): Map<string, string[]> {
  return new Map(requests.filter((r) => r.body.sensors).map((r) => [r.body.deliveryId as string, r.body.sensors.map((s: { sensor: { id: string } }) => s.sensor.id) as string[]]));
}

/** A service with these channels (one rule each) and `count` sensors registered, with the receiver behind the channels. */
async function fleet(count: number, channels: (http: HttpReceiver) => { name: string; type: string; config: object; events: string[] }[]) {
  const http = await HttpReceiver.start();
  cleanup.push(() => http.close());
  const { server, admin } = await start();
  for (const { events, ...channel } of channels(http)) {
    const { id } = await admin.do('mutation', 'notifications.createChannel', channel);
    await admin.do('mutation', 'notifications.createRule', { channelId: id, events });
  }
  const { key } = await admin.do('mutation', 'apiKeys.create', { name: 'fleet' });
  const sensors = wireSensor(server.url, key);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(await sensors.register({ name: `storm-${i}`, hostname: `storm-${i}.local` }));
  return { http, server, admin, sensors, ids };
}

const hookForLosses = (http: HttpReceiver) => [{ name: 'hook', type: 'webhook', config: { url: `${http.url}/hook` }, events: ['Sensor lost connection'] }];

describe('notification storms', () => {
  it('groups a storm read late the same way when the log is read again: each sensor in one grouped message after dropping repeats', async () => {
    const { http, server, ids } = await fleet(8, hookForLosses);
    const orgId = server.app.states.state('sensor', ids[0]!)!.orgId;

    // Two waves of four losses, two seconds apart, reach the notifier together (as when it lags):
    // they are two storms by their times, however they were read.
    const t0 = server.clock.now();
    await server.advance(5_000);
    const lose = (sensorId: string, at: number) =>
      server.app.writer.append(`sensor-${sensorId}`, [{ type: 'SensorWentOffline', data: { sensorId, lastHeartbeatAt: new Date(t0).toISOString(), at: new Date(at).toISOString(), thresholdMs: OFFLINE_AFTER_MS } }], { orgId, actor: { kind: 'system', id: 'test' }, at });
    await Promise.all(ids.map((id, i) => lose(id, t0 + (i < 4 ? 1_000 : 3_000))));
    await advance(server, 0);
    const live = groupedByDelivery(http.requests);
    expect([...live.values()].map((group) => group.length)).toEqual([4, 4]);

    // The process dies; a new one reads the whole log again and re-sends nothing new.
    await server.crash();
    const clock = new SimulatedClock();
    clock.set(server.clock.now());
    const again = await start({ dataDir: server.dataDir, clock });
    await advance(again.server, 0);
    const all = groupedByDelivery(http.requests);
    expect([...all.keys()].sort()).toEqual([...live.keys()].sort());
    expect([...all.values()].flat().sort()).toEqual([...ids].sort());
  });

  it('stores a grouped message without its sensors and sends every attempt of it with the same body, after a restart too', async () => {
    const { http, server, ids } = await fleet(6, hookForLosses);
    http.status = 503;
    await advance(server, OFFLINE_AFTER_MS);
    await advance(server, 30_000);
    expect(http.requests).toHaveLength(2);
    // The next retry is made by a new process, which reads the sensors back from the log.
    await server.stop();
    http.status = 200;
    const again = await start({ dataDir: server.dataDir, clock: server.clock });
    await advance(again.server, 120_000);
    expect(http.requests).toHaveLength(3);
    const [failed, , delivered] = http.requests;
    expect(http.requests[1]!.raw).toBe(failed!.raw);
    expect(delivered!.raw).toBe(failed!.raw);
    expect(delivered!.body.sensors.map((s: { sensor: { id: string } }) => s.sensor.id).sort()).toEqual([...ids].sort());
    const [queued] = (await again.server.stream(`delivery-${delivered!.body.deliveryId}`)).filter((e) => e.type === 'NotificationQueued');
    const stored = queued!.data as { message: { sensors: unknown[]; members: { count: number } } };
    expect(stored.message.sensors).toEqual([]);
    expect(stored.message.members.count).toBe(6);
    for (const id of ids) expect(JSON.stringify(queued!.data)).not.toContain(id);
  });

  it('resolves the PagerDuty incident of a storm once every sensor it listed is back or deleted, across a restart', async () => {
    const { http, server, sensors, ids } = await fleet(5, (receiver) => [
      { name: 'pd', type: 'pagerduty', config: { routingKey: 'storm-routing-key', url: `${receiver.url}/pd` }, events: ['Sensor lost connection'] },
      { name: 'hook', type: 'webhook', config: { url: `${receiver.url}/hook` }, events: ['Sensor lost connection', 'Sensor reconnected'] },
    ]);
    await advance(server, OFFLINE_AFTER_MS);
    const [trigger] = http.on('/pd');
    expect(trigger!.body).toMatchObject({ event_action: 'trigger', routing_key: 'storm-routing-key', dedup_key: expect.stringMatching(/^harborguard-storm-/) });
    expect(trigger!.body.payload.custom_details).toMatchObject({ sensorCount: 5, sensors: expect.any(Array) });
    expect(trigger!.body.payload.custom_details.sensors).toHaveLength(5);

    for (const id of ids.slice(0, 4)) await sensors.heartbeat(id);
    await advance(server, 0);
    expect(http.on('/pd')).toHaveLength(1);
    // Other channels get the per-sensor recoveries their rules ask for, and nothing more.
    expect(http.on('/hook').filter((r) => r.body.event === 'Sensor reconnected')).toHaveLength(4);

    await server.stop();
    const again = await start({ dataDir: server.dataDir, clock: server.clock });
    await again.admin.do('mutation', 'sensors.delete', { id: ids[4] });
    await advance(again.server, 0);
    expect(http.on('/pd').map((r) => r.body)).toEqual([trigger!.body, { routing_key: 'storm-routing-key', event_action: 'resolve', dedup_key: trigger!.body.dedup_key }]);
    expect(http.on('/hook')).toHaveLength(5);
  });

  it('sends a storm incident’s resolve only after its trigger went through', async () => {
    const { http, server, sensors, ids } = await fleet(4, (receiver) => [{ name: 'pd', type: 'pagerduty', config: { routingKey: 'late-key', url: `${receiver.url}/pd` }, events: ['Sensor lost connection'] }]);
    http.status = 503;
    await advance(server, OFFLINE_AFTER_MS);
    for (const id of ids) await sensors.heartbeat(id);
    await advance(server, 0);
    expect(http.on('/pd').map((r) => r.body.event_action)).toEqual(['trigger']);
    http.status = 200;
    await advance(server, 30_000);
    expect(http.on('/pd').map((r) => r.body.event_action)).toEqual(['trigger', 'trigger', 'resolve']);
  });
});
