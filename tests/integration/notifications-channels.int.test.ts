import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, OFFLINE_AFTER_MS, TestServer } from '../support/test-server.js';
import { TrpcHttp } from '../support/http-clients.js';
import { wireSensor } from '../support/sensor-clients.js';
import { HttpReceiver, SmtpReceiver } from '../support/notification-receivers.js';

const WEBHOOK_SECRET = 'whsec-0123456789-never-shown';
const ROUTING_KEY = 'pd-routing-key-R0123456789abcdef';
const SMTP_PASSWORD = 'smtp-password-never-shown-42';
const ALL_EVENTS = ['Sensor lost connection', 'Sensor reconnected', 'Registry error', 'Registry recovered'];
const GATHER_MS = 500;

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function setUp() {
  const log: string[] = [];
  const server = await TestServer.start({ log: (line) => log.push(line), notifications: { secretKey: 'test-secret-key-0123456789', publicUrl: 'https://hg.example.com' } });
  cleanup.push(() => server.destroy());
  const http = await HttpReceiver.start(WEBHOOK_SECRET);
  cleanup.push(() => http.close());
  const smtp = await SmtpReceiver.start();
  cleanup.push(() => smtp.close());
  const admin = new TrpcHttp(server.url, ADMIN_TOKEN);
  const channel = async (name: string, type: string, config: object) => {
    const { id } = await admin.do('mutation', 'notifications.createChannel', { name, type, config });
    await admin.do('mutation', 'notifications.createRule', { channelId: id, events: ALL_EVENTS });
    return id as string;
  };
  await channel('ops webhook', 'webhook', { url: `${http.url}/hook`, secret: WEBHOOK_SECRET });
  await channel('ops slack', 'slack', { url: `${http.url}/slack` });
  await channel('pager', 'pagerduty', { routingKey: ROUTING_KEY, url: `${http.url}/pd` });
  await channel('mail', 'email', { host: '127.0.0.1', port: smtp.port, user: 'hg', password: SMTP_PASSWORD, from: 'hg@example.com', to: ['ops@example.com'] });
  const { key } = await admin.do('mutation', 'apiKeys.create', { name: 'fleet' });
  const registryId = (await admin.do('mutation', 'registries.create', { name: 'prod-registry', url: 'registry.example.com' })).id as string;
  const sensors = wireSensor(server.url, key);
  /** Moves time on, lets the gathered messages go out, and waits until they are sent. */
  const advance = async (ms: number) => {
    await server.advance(ms);
    await server.app.notifier.settled();
    await server.advance(GATHER_MS);
    await server.app.notifier.settled();
  };
  return { server, http, smtp, admin, sensors, registryId, advance, log };
}

describe('notification channels', () => {
  it('tells every channel once that a sensor lost connection (with its registry in ERROR), then that it is back', async () => {
    const { server, http, smtp, admin, sensors, registryId, advance } = await setUp();
    const sensorId = await sensors.register({ name: 'edge-1', hostname: 'edge-1.local' });
    await admin.do('mutation', 'sensors.bindRegistry', { sensorId, registryId });
    const lastHeartbeatAt = new Date(server.clock.now()).toISOString();
    await advance(OFFLINE_AFTER_MS);

    // One outage, one message per channel: the registry's ERROR arrives in the same message.
    const [hook] = http.on('/hook');
    expect(http.on('/hook')).toHaveLength(1);
    expect(hook!.headers['user-agent']).toBe('HarborGuard-Webhook/1.0');
    expect(hook!.signatureValid).toBe(true);
    expect(Object.keys(hook!.body).sort()).toEqual(['deliveryId', 'event', 'lastHeartbeatAt', 'message', 'registry', 'sensor', 'severity', 'timestamp', 'title', 'url'].sort());
    expect(hook!.body).toMatchObject({
      event: 'Sensor lost connection',
      severity: 'critical',
      sensor: { id: sensorId, name: 'edge-1', host: 'edge-1.local' },
      lastHeartbeatAt,
      registry: { id: registryId, name: 'prod-registry', status: 'ERROR' },
      url: `https://hg.example.com/sensors/${sensorId}`,
    });
    expect(hook!.body.deliveryId).toMatch(/^[0-9a-f-]{36}$/);

    const [slack] = http.on('/slack');
    expect(http.on('/slack')).toHaveLength(1);
    expect(slack!.body.text).toContain('Sensor lost connection: edge-1');
    expect(slack!.body.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Sensor lost connection: edge-1' } });

    const [trigger] = http.on('/pd');
    expect(http.on('/pd')).toHaveLength(1);
    expect(trigger!.body).toMatchObject({ routing_key: ROUTING_KEY, event_action: 'trigger', dedup_key: `harborguard-sensor-${sensorId}`, payload: { severity: 'critical', source: 'edge-1', summary: 'Sensor lost connection: edge-1' } });

    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]!.to).toEqual(['ops@example.com']);
    expect(smtp.mails[0]!.raw).toContain('Subject: [HarborGuard] Sensor lost connection: edge-1');
    expect(smtp.mails[0]!.raw).toContain('text/plain');
    expect(smtp.mails[0]!.raw).toContain('text/html');

    await sensors.heartbeat(sensorId);
    await advance(0);
    expect(http.on('/hook').map((r) => r.body.event)).toEqual(['Sensor lost connection', 'Sensor reconnected']);
    expect(http.on('/hook')[1]!.body.registry.status).toBe('ACTIVE');
    expect(http.on('/pd').map((r) => r.body)).toEqual([trigger!.body, { routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: `harborguard-sensor-${sensorId}` }]);
    const delivered = await admin.do('query', 'notifications.deliveries', { status: 'delivered' });
    expect(delivered.items).toHaveLength(8);
  });

  it('names an unbound sensor by its host when it has no name, and says no registry is bound', async () => {
    const { http, sensors, advance } = await setUp();
    const sensorId = await sensors.register({ name: '', hostname: 'scanner-7.local' });
    await advance(OFFLINE_AFTER_MS);
    const [hook] = http.on('/hook');
    expect(hook!.body.sensor).toMatchObject({ id: sensorId, host: 'scanner-7.local' });
    expect(hook!.body.title).toBe('Sensor lost connection: scanner-7.local');
    expect(hook!.body.registry).toBeNull();
    expect(hook!.body.message).toContain('none bound');
  });

  it('keeps secrets encrypted: masked in answers, absent from audit events and logs', async () => {
    const { server, admin, log, sensors, advance } = await setUp();
    await sensors.register({ name: 'edge-2', hostname: 'edge-2.local' });
    await advance(OFFLINE_AFTER_MS);
    const channels = await admin.do('query', 'notifications.listChannels');
    expect(channels.map((c: { type: string }) => c.type)).toEqual(['webhook', 'slack', 'pagerduty', 'email']);
    expect(channels[0].config.secret).toBe('••••••••');
    expect(channels[2].config.routingKey).toBe('••••••••');
    expect(channels[3].config.password).toBe('••••••••');
    const audit = await admin.do('query', 'audit.events', {});
    const stored = JSON.stringify(await server.store.readAll({ maxCount: 10_000 }), (_key, value) => (typeof value === 'bigint' ? String(value) : value));
    for (const secret of [WEBHOOK_SECRET, ROUTING_KEY, SMTP_PASSWORD]) {
      expect(JSON.stringify(channels)).not.toContain(secret);
      expect(JSON.stringify(audit)).not.toContain(secret);
      expect(log.join('\n')).not.toContain(secret);
      expect(stored).not.toContain(secret);
    }
    expect(JSON.stringify(audit)).not.toContain('sealedSecrets');
  });

  it('sends a test message and shows what the receiver answered', async () => {
    const { admin, http } = await setUp();
    const [webhook] = await admin.do('query', 'notifications.listChannels');
    const answer = await admin.do('mutation', 'notifications.testChannel', { id: webhook.id });
    expect(answer.ok).toBe(true);
    expect(answer.response).toContain('HTTP 200');
    expect(http.on('/hook')[0]!.signatureValid).toBe(true);
    http.status = 410;
    const refused = await admin.do('mutation', 'notifications.testChannel', { id: webhook.id });
    expect(refused).toMatchObject({ ok: false });
    expect(refused.response).toContain('HTTP 410');
  });

  it('keeps a stored secret when a channel is edited without it, and signs with the new one when given', async () => {
    const { admin, http } = await setUp();
    const [webhook] = await admin.do('query', 'notifications.listChannels');
    const edited = await admin.do('mutation', 'notifications.updateChannel', { id: webhook.id, name: 'renamed', config: { url: `${http.url}/hook` } });
    expect(edited).toMatchObject({ name: 'renamed', config: { secret: '••••••••' } });
    await admin.do('mutation', 'notifications.testChannel', { id: webhook.id });
    expect(http.on('/hook')[0]!.signatureValid).toBe(true);
    await admin.do('mutation', 'notifications.updateChannel', { id: webhook.id, config: { url: `${http.url}/hook`, secret: 'another-secret' } });
    await admin.do('mutation', 'notifications.testChannel', { id: webhook.id });
    expect(http.on('/hook')[1]!.signatureValid).toBe(false);
    const disabled = await admin.do('mutation', 'notifications.updateChannel', { id: webhook.id, enabled: false });
    expect(disabled.enabled).toBe(false);
  });

  it('lets auditors read the settings but not change them', async () => {
    const { admin, server } = await setUp();
    const { token } = await admin.do('mutation', 'tokens.create', { role: 'auditor', name: 'auditor' });
    const auditor = new TrpcHttp(server.url, token);
    expect(await auditor.do('query', 'notifications.listChannels')).toHaveLength(4);
    expect((await auditor.mutation('notifications.createChannel', { name: 'x', type: 'slack', config: { url: 'https://hooks.slack.com/x' } })).status).toBe(403);
  });

  it('refuses bad channel settings with a message naming the field, and hides channels from other orgs', async () => {
    const { admin, server } = await setUp();
    const bad = await admin.mutation('notifications.createChannel', { name: 'x', type: 'webhook', config: { url: 'not a url' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error!.message).toContain('config.url');
    const badEvent = await admin.mutation('notifications.createRule', { channelId: 'nope', events: ['Sensor exploded'] });
    expect(badEvent.status).toBe(400);
    const { id: orgId } = await admin.do('mutation', 'orgs.create', { name: 'other' });
    const { token } = await admin.do('mutation', 'tokens.create', { role: 'operator', name: 'other-op', orgId });
    const other = new TrpcHttp(server.url, token);
    expect(await other.do('query', 'notifications.listChannels')).toEqual([]);
    const [webhook] = await admin.do('query', 'notifications.listChannels');
    expect((await other.mutation('notifications.deleteChannel', { id: webhook.id })).status).toBe(404);
  });
});
