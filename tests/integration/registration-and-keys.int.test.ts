import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, TestServer } from '../support/test-server.js';
import { TrpcHttp, wire } from '../support/http-clients.js';
import { trpcSensor, wireSensor } from '../support/sensor-clients.js';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('registration, API keys and tokens', () => {
  let server: TestServer;
  let admin: TrpcHttp;
  let key: string;
  let keyId: string;

  beforeEach(async () => {
    server = await TestServer.start();
    admin = new TrpcHttp(server.url, ADMIN_TOKEN);
    ({ id: keyId, key } = await admin.do<{ id: string; key: string }>('mutation', 'apiKeys.create', { name: 'fleet' }));
  });

  afterEach(async () => {
    await server.destroy();
  });

  it('gives a restarting sensor its id back and records what changed about it', async () => {
    const sensor = wireSensor(server.url, key);
    const id = await sensor.register({ name: 'scanner-eu-1', hostname: 'node-7', version: '0.1.0' });
    for (let restart = 0; restart < 3; restart++) expect(await sensor.register({ name: 'scanner-eu-1', hostname: 'node-7', version: '0.1.0' })).toBe(id);
    expect(await sensor.register({ name: 'scanner-eu-1', hostname: 'node-7', version: '0.2.0', scannerVersions: { trivy: '0.59.0' } })).toBe(id);
    expect(await server.eventTypes(`sensor-${id}`)).toEqual(['SensorRegistered', 'SensorDetailsChanged']);
    const changed = (await server.stream(`sensor-${id}`))[1]!;
    expect(changed.data).toEqual({ sensorId: id, changes: { version: '0.2.0', scannerVersions: { trivy: '0.59.0' } } });
    expect((await admin.do('query', 'sensors.list')).items.length).toBe(1);
  });

  it('keeps replicas on different hosts under one key apart', async () => {
    const sensor = wireSensor(server.url, key);
    const a = await sensor.register({ name: 'harborguard-sensor', hostname: 'node-1' });
    const b = await sensor.register({ name: 'harborguard-sensor', hostname: 'node-2' });
    expect(a).not.toBe(b);
    expect((await admin.do('query', 'sensors.list')).items.length).toBe(2);
  });

  it('fills in name and host of a re-created sensor when it registers with its id', async () => {
    const sensor = trpcSensor(server.url, key);
    expect(await sensor.heartbeat('legacy-sensor-1')).toBe(200);
    const api = new TrpcHttp(server.url, key);
    const ack = await api.do('mutation', 'agent.register', { sensorId: 'legacy-sensor-1', name: 'scanner', hostname: 'node-3', capabilities: ['scan'] });
    expect(ack.sensorId).toBe('legacy-sensor-1');
    expect((await admin.do('query', 'sensors.get', { id: 'legacy-sensor-1' })).sensor).toMatchObject({ name: 'scanner', hostname: 'node-3' });
  });

  it('answers every sensor call with id, status, server time and when to call next', async () => {
    const api = new TrpcHttp(server.url, key);
    const registered = await api.do('mutation', 'agent.register', { name: 's', hostname: 'h' });
    expect(registered).toMatchObject({ status: 'online', heartbeatIntervalMs: 30_000, pollIntervalMs: 10_000 });
    expect(registered.serverTime).toBe(new Date(server.clock.now()).toISOString());
    const beat = await api.do('mutation', 'agent.heartbeat', { sensorId: registered.sensorId });
    expect(beat).toMatchObject({ sensorId: registered.sensorId, status: 'online', nextHeartbeatInMs: 30_000 });
    const polled = await api.do('mutation', 'agent.pollJobs', { sensorId: registered.sensorId });
    expect(polled).toMatchObject({ sensorId: registered.sensorId, jobs: [], cancelJobs: [], nextPollInMs: 10_000 });
  });

  it('records clock skew over 30 s once per change, without touching liveness', async () => {
    const api = new TrpcHttp(server.url, key);
    const { sensorId } = await api.do('mutation', 'agent.register', { name: 's', hostname: 'h' });
    const ahead = (ms: number) => new Date(server.clock.now() + ms).toISOString();
    for (const skew of [5_000, 300_000, 301_000, 300_500]) await api.do('mutation', 'agent.heartbeat', { sensorId, sensorTime: ahead(skew) });
    const skews = (await server.stream(`sensor-${sensorId}`)).filter((e) => e.type === 'SensorClockSkewObserved');
    expect(skews.map((e) => (e.data as { skewMs: number }).skewMs)).toEqual([300_000]);
    expect((await admin.do('query', 'sensors.get', { id: sensorId })).sensor).toMatchObject({ status: 'online', clockSkewMs: 300_000 });
  });

  it('shows a new key once, stores only its SHA-256, and lists metadata only', async () => {
    expect(key).toMatch(/^hg_[A-Za-z0-9_]{20,}$/);
    const [created] = await server.stream(`apikey-${keyId}`);
    expect(JSON.stringify([created!.data, created!.metadata])).not.toContain(key);
    const { createHash } = await import('node:crypto');
    expect((created!.data as { keyHash: string }).keyHash).toBe(createHash('sha256').update(key).digest('hex'));
    const listed = await admin.do<Record<string, unknown>[]>('query', 'apiKeys.list');
    expect(listed).toHaveLength(1);
    expect(JSON.stringify(listed)).not.toContain(key);
    expect(JSON.stringify(listed)).not.toContain((created!.data as { keyHash: string }).keyHash);
    expect(listed[0]).toMatchObject({ id: keyId, name: 'fleet', status: 'active' });
  });

  it('keeps a rotated key working for the grace period, then refuses it', async () => {
    const sensor = wireSensor(server.url, key);
    const id = await sensor.register({ name: 's', hostname: 'h' });
    const rotated = await admin.do<{ key: string; previousKeyValidUntil: string }>('mutation', 'apiKeys.rotate', { id: keyId });
    expect(rotated.key).not.toBe(key);
    expect(Date.parse(rotated.previousKeyValidUntil)).toBe(server.clock.now() + DAY_MS);

    await server.advance(DAY_MS - 1);
    expect(await sensor.heartbeat(id)).toBe(200);
    await server.advance(1);
    const refused = await wire(server.url, key, 'POST', '/api/agent/heartbeat', { agentId: id });
    expect(refused).toMatchObject({ status: 401, body: { error: 'Invalid API key' } });
    expect(await wireSensor(server.url, rotated.key).heartbeat(id)).toBe(200);
    expect(await server.eventTypes(`apikey-${keyId}`)).toEqual(['ApiKeyCreated', 'ApiKeyRotated']);
  });

  it('answers 401 "API key revoked" to a revoked key, on every route', async () => {
    const id = await wireSensor(server.url, key).register({ name: 's', hostname: 'h' });
    await admin.do('mutation', 'apiKeys.revoke', { id: keyId });
    for (const [method, path, body] of [
      ['POST', '/api/agent/heartbeat', { agentId: id }],
      ['GET', `/api/agent/jobs?agentId=${id}`, undefined],
      ['POST', '/api/agent/register', { name: 's', hostname: 'h' }],
    ] as const) {
      const result = await wire(server.url, key, method, path, body);
      expect(result).toMatchObject({ status: 401, body: { error: 'API key revoked' } });
      expect(result.contentType).toContain('application/json');
    }
    expect((await new TrpcHttp(server.url, key).mutation('agent.heartbeat', { sensorId: id })).status).toBe(401);
    expect(await server.eventTypes(`apikey-${keyId}`)).toEqual(['ApiKeyCreated', 'ApiKeyRevoked']);
  });

  it('answers 401 with the documented messages for a missing or unknown key', async () => {
    expect(await wire(server.url, undefined, 'POST', '/api/agent/heartbeat', { agentId: 'x' })).toMatchObject({ status: 401, body: { error: 'Missing Authorization header' } });
    expect(await wire(server.url, 'hg_ak_nope', 'POST', '/api/agent/heartbeat', { agentId: 'x' })).toMatchObject({ status: 401, body: { error: 'Invalid API key' } });
    // An operator token is not a sensor key.
    expect(await wire(server.url, ADMIN_TOKEN, 'POST', '/api/agent/heartbeat', { agentId: 'x' })).toMatchObject({ status: 401, body: { error: 'Invalid API key' } });
  });

  it('answers bad input with a 4xx naming the problem, never a 5xx', async () => {
    const bad = async (method: 'GET' | 'POST', path: string, body?: unknown) => wire(server.url, key, method, path, body);
    expect(await bad('POST', '/api/agent/heartbeat', '{"agentId": ')).toMatchObject({ status: 400, body: { error: 'Request body is not valid JSON' } });
    expect(await bad('POST', '/api/agent/heartbeat', { agentId: 42 })).toMatchObject({ status: 400, body: { error: expect.stringContaining('agentId') } });
    expect(await bad('POST', '/api/agent/heartbeat', [])).toMatchObject({ status: 400 });
    expect(await bad('POST', '/api/agent/heartbeat', 'null')).toMatchObject({ status: 400 });
    expect(await bad('GET', '/api/agent/jobs')).toMatchObject({ status: 400, body: { error: expect.stringContaining('agentId') } });
    expect(await bad('POST', '/api/agent/register', { name: '', hostname: '' })).toMatchObject({ status: 400, body: { error: expect.stringContaining('name') } });
    expect(await bad('POST', '/api/agent/register', { name: 's', capabilities: 'scan' })).toMatchObject({ status: 400, body: { error: expect.stringContaining('capabilities') } });
    expect(await bad('POST', '/api/agent/jobs/some-job/status', { status: 'done' })).toMatchObject({ status: 400, body: { error: expect.stringContaining('status') } });
    expect(await bad('POST', '/api/scans/upload', { scan: {} })).toMatchObject({ status: 400, body: { error: expect.stringContaining('scan.id') } });
    expect(await bad('POST', '/api/agent/heartbeat', { agentId: 'x'.repeat(300) })).toMatchObject({ status: 400 });
    expect(await bad('POST', '/api/agent/heartbeat', { agentId: 'has spaces/slash' })).toMatchObject({ status: 400 });
    const huge = JSON.stringify({ agentId: 'a', padding: 'x'.repeat(1024 * 1024) });
    expect(await bad('POST', '/api/agent/heartbeat', huge)).toMatchObject({ status: 413 });
    expect(await bad('GET', '/api/agent/nothing-here')).toMatchObject({ status: 404 });
    expect(await bad('GET', '/api/agent/heartbeat')).toMatchObject({ status: 404 });

    const trpc = await admin.mutation('registries.create', { name: '', url: 7 });
    expect(trpc.status).toBe(400);
    expect(trpc.body.error?.message).toContain('name');
    expect(trpc.body.error?.message).toContain('url');
    expect((await admin.mutation('registries.nope', {})).status).toBe(404);
    expect((await admin.mutation('apiKeys.create', { name: 'x'.repeat(1024 * 1024 + 10) })).status).toBe(413);
  });

  it('lets auditors read but not change, and only admins manage tokens', async () => {
    const auditor = await admin.do<{ token: string }>('mutation', 'tokens.create', { role: 'auditor', name: 'audit' });
    const operator = await admin.do<{ token: string }>('mutation', 'tokens.create', { role: 'operator', name: 'ops' });
    const asAuditor = admin.as(auditor.token);
    const asOperator = admin.as(operator.token);
    expect((await asAuditor.query('registries.list')).status).toBe(200);
    expect((await asAuditor.mutation('registries.create', { name: 'r', url: 'u' })).status).toBe(403);
    expect((await asOperator.mutation('registries.create', { name: 'r', url: 'u' })).status).toBe(200);
    expect((await asOperator.mutation('tokens.create', { role: 'admin', name: 'escalate' })).status).toBe(403);

    const { id: tokenId } = await admin.do<{ id: string }>('mutation', 'tokens.create', { role: 'operator', name: 'temp' });
    const temp = (await admin.do<{ id: string; token: string }[]>('query', 'tokens.list')).find((t) => t.id === tokenId);
    expect(temp).toBeDefined();
    expect(JSON.stringify(temp)).not.toContain('token"');
    await admin.do('mutation', 'tokens.revoke', { id: tokenId });
    expect(await server.eventTypes(`token-${tokenId}`)).toEqual(['TokenCreated', 'TokenRevoked']);
    expect((await admin.as('not-a-token').query('registries.list')).status).toBe(401);
    expect((await admin.as(undefined).query('registries.list')).status).toBe(401);
  });

  it('keeps each org to its own data: another org sees nothing and can touch nothing', async () => {
    const sensorId = await wireSensor(server.url, key).register({ name: 's', hostname: 'h' });
    const registryId = (await admin.do<{ id: string }>('mutation', 'registries.create', { name: 'r', url: 'u' })).id;
    const { jobId } = await admin.do<{ jobId: string }>('mutation', 'jobs.scanNow', { registryId, imageRef: 'app:1' });

    const { id: orgId } = await admin.do<{ id: string }>('mutation', 'orgs.create', { name: 'acme' });
    const { token } = await admin.do<{ token: string }>('mutation', 'tokens.create', { role: 'admin', name: 'acme admin', orgId });
    const acme = admin.as(token);
    expect((await acme.do('query', 'sensors.list')).items).toEqual([]);
    expect(await acme.do('query', 'registries.list')).toEqual([]);
    expect(await acme.do('query', 'apiKeys.list')).toEqual([]);
    expect(await acme.do('query', 'jobs.list')).toEqual([]);
    for (const [kind, path, input] of [
      ['query', 'sensors.get', { id: sensorId }],
      ['query', 'registries.get', { id: registryId }],
      ['query', 'jobs.get', { id: jobId }],
      ['mutation', 'sensors.bindRegistry', { sensorId, registryId }],
      ['mutation', 'sensors.delete', { id: sensorId }],
      ['mutation', 'registries.delete', { id: registryId }],
      ['mutation', 'registries.setSchedule', { id: registryId, scheduleIntervalMs: null }],
      ['mutation', 'jobs.scanNow', { registryId, imageRef: 'x' }],
      ['mutation', 'jobs.cancel', { jobId }],
      ['mutation', 'apiKeys.rotate', { id: keyId }],
      ['mutation', 'apiKeys.revoke', { id: keyId }],
    ] as const) {
      const result = kind === 'query' ? await acme.query(path, input) : await acme.mutation(path, input);
      expect([path, result.status]).toEqual([path, 404]);
    }
    // A sensor key of the other org cannot name this org's sensor either: the id gets a row of that org's own.
    const acmeKey = (await acme.do<{ key: string }>('mutation', 'apiKeys.create', { name: 'acme fleet' })).key;
    const before = await admin.do('query', 'sensors.get', { id: sensorId });
    expect((await wire(server.url, acmeKey, 'POST', '/api/agent/heartbeat', { agentId: sensorId })).status).toBe(200);
    expect(await admin.do('query', 'sensors.get', { id: sensorId })).toEqual(before);
    expect((await wire(server.url, acmeKey, 'POST', `/api/agent/jobs/${jobId}/status`, { status: 'completed' })).status).toBe(404);
    // Only the default org's admins create orgs.
    expect((await acme.mutation('orgs.create', { name: 'nested' })).status).toBe(403);
    expect((await admin.do('query', 'sensors.get', { id: sensorId })).sensor).toMatchObject({ status: 'online' });
  });

  it('registers a newer agent straight onto the registry it names', async () => {
    const registryId = (await admin.do<{ id: string }>('mutation', 'registries.create', { name: 'r', url: 'harbor.example/team' })).id;
    const result = await wire<{ agentId: string }>(server.url, key, 'POST', '/api/agent/register', { name: 's', hostname: 'h', registryUrl: 'harbor.example/team' });
    expect((await admin.do('query', 'sensors.get', { id: result.body.agentId })).sensor).toMatchObject({ registry: { id: registryId } });
  });
});
