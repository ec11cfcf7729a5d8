import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, OFFLINE_AFTER_MS, TestServer, type TestServerOptions } from '../support/test-server.js';
import { TrpcHttp } from '../support/http-clients.js';
import { wireSensor } from '../support/sensor-clients.js';
import { HttpReceiver } from '../support/notification-receivers.js';
import { MemoryCheckpoint } from '../../server/src/notifications/checkpoint.js';

const GATHER_MS = 500;
const SECRET_KEY = 'delivery-test-key-0123456789';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function setUp(options: TestServerOptions = {}, rule: object = {}) {
  const server = await TestServer.start({ notifications: { secretKey: SECRET_KEY, stormThreshold: 3 }, ...options });
  cleanup.push(() => server.destroy());
  const http = await HttpReceiver.start();
  cleanup.push(() => http.close());
  const admin = new TrpcHttp(server.url, ADMIN_TOKEN);
  const { key } = await admin.do('mutation', 'apiKeys.create', { name: 'fleet' });
  const sensors = wireSensor(server.url, key);
  const hook = async (path = '/hook') => {
    const { id } = await admin.do('mutation', 'notifications.createChannel', { name: path, type: 'webhook', config: { url: `${http.url}${path}` } });
    await admin.do('mutation', 'notifications.createRule', { channelId: id, events: ['Sensor lost connection', 'Sensor reconnected'], ...rule });
    return id as string;
  };
  const advance = async (ms: number) => {
    await server.advance(ms);
    await server.app.notifier.settled();
    await server.advance(GATHER_MS);
    await server.app.notifier.settled();
  };
  /** Moves time on exactly `ms` and waits for the sends it causes. */
  const step = async (ms: number) => {
    await server.advance(ms);
    await server.app.notifier.settled();
  };
  return { server, http, admin, sensors, hook, advance, step };
}

describe('notification delivery', () => {
  it('retries after 30 s, 2 min, 10 min and 1 h, then dead-letters; an operator retry delivers it', async () => {
    const { server, http, admin, sensors, hook, advance, step } = await setUp();
    await hook();
    await sensors.register({ name: 'flaky', hostname: 'flaky.local' });
    http.status = 503;
    await advance(OFFLINE_AFTER_MS);
    expect(http.requests).toHaveLength(1);
    for (const [wait, attempts] of [[30_000, 2], [120_000, 3], [600_000, 4], [3_600_000, 5]] as const) {
      await step(wait - 1);
      expect(http.requests).toHaveLength(attempts - 1);
      await step(1);
      expect(http.requests).toHaveLength(attempts);
    }
    await advance(10 * 3_600_000);
    expect(http.requests).toHaveLength(5);
    const { items: [dead] } = await admin.do('query', 'notifications.deliveries', { status: 'dead' });
    expect(dead).toMatchObject({ status: 'dead', attempts: 5, lastError: expect.stringContaining('HTTP 503') });
    // The same delivery id on every attempt, so the receiver can drop repeats.
    expect(new Set(http.requests.map((r) => r.body.deliveryId))).toEqual(new Set([dead.id]));
    expect(await server.eventTypes(`delivery-${dead.id}`)).toEqual([
      'NotificationQueued',
      ...Array.from({ length: 5 }, () => ['NotificationAttempted', 'NotificationFailed']).flat(),
      'NotificationDeadLettered',
    ]);

    http.status = 200;
    expect(await admin.do('mutation', 'notifications.retry', { deliveryId: dead.id })).toEqual({ deliveryId: dead.id, status: 'pending' });
    await advance(0);
    expect(http.requests).toHaveLength(6);
    expect((await admin.do('query', 'notifications.deliveries', {})).items[0]).toMatchObject({ id: dead.id, status: 'delivered', attempts: 6 });
    const again = await admin.mutation('notifications.retry', { deliveryId: dead.id });
    expect(again.status).toBe(409);
  });

  it('sends nothing for what happened before the channel existed', async () => {
    const { http, sensors, hook, advance, admin } = await setUp();
    await sensors.register({ name: 'early', hostname: 'early.local' });
    await advance(OFFLINE_AFTER_MS);
    await hook();
    await advance(OFFLINE_AFTER_MS);
    expect(http.requests).toHaveLength(0);
    expect((await admin.do('query', 'notifications.deliveries', {})).items).toEqual([]);
  });

  it('keeps an endpoint that does not answer from holding up the others', async () => {
    const { server, http, sensors, hook } = await setUp();
    await hook('/dead');
    await hook('/alive');
    await sensors.register({ name: 'a', hostname: 'a' });
    await sensors.register({ name: 'b', hostname: 'b' });
    http.holdPath = '/dead';
    await server.advance(OFFLINE_AFTER_MS);
    await server.advance(GATHER_MS);
    await http.received(4);
    expect(http.on('/alive')).toHaveLength(2);
    expect(http.on('/dead')).toHaveLength(2);
    http.release();
    await server.app.notifier.settled();
  });

  it('groups a storm into one message per channel; recoveries still follow one by one', async () => {
    const { http, sensors, hook, advance } = await setUp();
    await hook();
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await sensors.register({ name: `storm-${i}`, hostname: `storm-${i}.local` }));
    await advance(OFFLINE_AFTER_MS);
    expect(http.requests).toHaveLength(1);
    const grouped = http.requests[0]!.body;
    expect(grouped.title).toBe('6 sensors lost connection');
    expect(grouped.sensors.map((s: { sensor: { id: string } }) => s.sensor.id).sort()).toEqual([...ids].sort());
    await sensors.heartbeat(ids[0]!);
    await sensors.heartbeat(ids[1]!);
    await advance(0);
    expect(http.requests.slice(1).map((r) => [r.body.event, r.body.sensor.id]).sort()).toEqual([
      ['Sensor reconnected', ids[0]],
      ['Sensor reconnected', ids[1]],
    ].sort());
  });

  it('holds "lost connection" back for a rule with a hold-down, and drops it when the sensor is back in time', async () => {
    const { http, sensors, hook, advance } = await setUp({}, { holdDownMs: 60_000 });
    await hook();
    const flapping = await sensors.register({ name: 'flapping', hostname: 'f' });
    const gone = await sensors.register({ name: 'gone', hostname: 'g' });
    await advance(OFFLINE_AFTER_MS);
    expect(http.requests).toHaveLength(0);
    await advance(30_000);
    await sensors.heartbeat(flapping);
    await advance(30_000);
    expect(http.requests.map((r) => [r.body.event, r.body.sensor.id])).toEqual([['Sensor lost connection', gone]]);
  });

  it('records matching notifications as suppressed while a silence lasts', async () => {
    const { http, sensors, hook, advance, admin, server } = await setUp();
    await hook();
    const until = new Date(server.clock.now() + 10 * 60_000).toISOString();
    await admin.do('mutation', 'notifications.createSilence', { sensorPattern: 'maint-*', until, comment: 'patching' });
    await sensors.register({ name: 'maint-1', hostname: 'm1' });
    const other = await sensors.register({ name: 'prod-1', hostname: 'p1' });
    await advance(OFFLINE_AFTER_MS);
    expect(http.requests.map((r) => r.body.sensor.id)).toEqual([other]);
    const { items } = await admin.do('query', 'notifications.deliveries', { status: 'suppressed' });
    expect(items).toHaveLength(1);
    expect(items[0].message.sensor.name).toBe('maint-1');
    const past = await admin.mutation('notifications.createSilence', { until: new Date(server.clock.now() - 1).toISOString(), comment: 'x' });
    expect(past.status).toBe(400);
  });

  it('re-sends nothing after a restart for what was delivered, with or without a stored checkpoint', async () => {
    const checkpoint = new MemoryCheckpoint();
    const { server, http, sensors, hook, advance } = await setUp({ notifications: { secretKey: SECRET_KEY, checkpoint } });
    await hook();
    await sensors.register({ name: 'once', hostname: 'o' });
    await advance(OFFLINE_AFTER_MS);
    expect(http.requests).toHaveLength(1);
    await server.stop();
    expect(checkpoint.position).not.toBeNull();
    for (const options of [{ secretKey: SECRET_KEY, checkpoint }, { secretKey: SECRET_KEY }]) {
      const again = await TestServer.start({ dataDir: server.dataDir, clock: server.clock, notifications: options });
      await again.app.notifier.settled();
      await again.advance(GATHER_MS);
      await again.app.notifier.settled();
      await again.stop();
    }
    expect(http.requests).toHaveLength(1);
  });

  it('follows the log from its checkpoint after a restart', async () => {
    const checkpoint = new MemoryCheckpoint();
    const { server, http, hook } = await setUp({ notifications: { secretKey: SECRET_KEY, checkpoint } });
    await hook();
    await server.stop();
    const again = await TestServer.start({ dataDir: server.dataDir, clock: server.clock, notifications: { secretKey: SECRET_KEY, checkpoint } });
    cleanup.push(() => again.stop());
    const { key } = await new TrpcHttp(again.url, ADMIN_TOKEN).do('mutation', 'apiKeys.create', { name: 'after restart' });
    const later = await wireSensor(again.url, key).register({ name: 'later', hostname: 'l' });
    await again.advance(OFFLINE_AFTER_MS);
    await again.app.notifier.settled();
    await again.advance(GATHER_MS);
    await again.app.notifier.settled();
    expect(http.requests.map((r) => r.body.sensor.id)).toEqual([later]);
  });
});
