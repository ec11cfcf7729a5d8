import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../support/test-server.js';
import { TrpcHttp } from '../support/http-clients.js';
import { wireSensor } from '../support/sensor-clients.js';
import { HttpReceiver } from '../support/notification-receivers.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

describe('notifications across kill -9', () => {
  it('delivers every notification after a crash mid-delivery: each arrives, once after dropping repeats by deliveryId', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hg-notify-kill-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const http = await HttpReceiver.start('crash-secret');
    cleanup.push(() => http.close());
    // Sensors go offline one second after their last contact, in real time.
    const env = { HARBORGUARD_DATA_DIR: dataDir, HARBORGUARD_ADMIN_TOKEN: ADMIN_TOKEN, HARBORGUARD_OFFLINE_AFTER_MS: '1000' };
    let server: ServerProcess = await startServerProcess(env);
    cleanup.push(() => server.stop());
    const admin = new TrpcHttp(server.url, ADMIN_TOKEN);
    const { id: channelId } = await admin.do('mutation', 'notifications.createChannel', { name: 'hook', type: 'webhook', config: { url: `${http.url}/hook`, secret: 'crash-secret' } });
    await admin.do('mutation', 'notifications.createRule', { channelId, events: ['Sensor lost connection'] });
    const { key } = await admin.do('mutation', 'apiKeys.create', { name: 'fleet' });
    const sensors = wireSensor(server.url, key);
    const ids: string[] = [];
    // Fewer than a channel sends at once, so all are in flight when the service dies.
    for (let i = 0; i < 3; i++) ids.push(await sensors.register({ name: `crash-${i}`, hostname: `c${i}` }));

    // Every message reaches the receiver, which does not answer: the service dies mid-delivery.
    http.hold = true;
    await http.received(3);
    await server.kill9();
    http.release();

    // The key generated into the data directory is readable by the service's user only.
    expect(statSync(join(dataDir, 'secret.key')).mode & 0o777).toBe(0o600);

    server = await startServerProcess(env);
    cleanup.push(() => server.stop());
    await http.received(6);
    const byDelivery = new Map(http.requests.map((r) => [r.body.deliveryId as string, r.body]));
    expect([...byDelivery.values()].map((body) => body.sensor.id).sort()).toEqual([...ids].sort());
    expect(http.requests.every((r) => r.signatureValid === true)).toBe(true);
    // A graceful stop waits for the answers to be recorded; the log then shows all three delivered.
    await server.stop();
    server = await startServerProcess(env);
    cleanup.push(() => server.stop());
    const delivered = await new TrpcHttp(server.url, ADMIN_TOKEN).do('query', 'notifications.deliveries', { status: 'delivered' });
    expect(delivered.items.map((d: { id: string }) => d.id).sort()).toEqual([...byDelivery.keys()].sort());
  }, 60_000);
});
