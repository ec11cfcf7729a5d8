import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { acceptsHeartbeat, heartbeatAgentId, WireHeartbeat } from '../../server/src/api/wire-schemas.js';
import { describeZodError } from '../../server/src/api/trpc.js';
import { ADMIN_TOKEN, TestServer } from '../support/test-server.js';
import { TrpcHttp, wire } from '../support/http-clients.js';

/**
 * The wire heartbeat is served on a path of its own (no route table, no schema library, a
 * remembered key check): everything a sensor or an operator can observe must be what every
 * other route gives.
 */

const HEARTBEAT = '/api/agent/heartbeat';
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
};

/** Values shaped like heartbeat bodies, near every edge the schema draws, and anything at all. */
const text = fc.oneof(fc.string({ minLength: 0, maxLength: 3 }), fc.string({ minLength: 126, maxLength: 130 }), fc.string({ unit: 'grapheme', minLength: 60, maxLength: 70 }));
const anyValue = fc.oneof(text, fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.array(fc.integer(), { maxLength: 2 }), fc.object({ maxDepth: 1 }));
const bodyLike = fc.record(
  {
    agentId: fc.oneof(text, anyValue),
    status: fc.oneof(fc.string(), anyValue),
    activeScans: fc.oneof(fc.double(), fc.integer(), anyValue),
    uptimeSeconds: fc.oneof(fc.double(), fc.integer(), anyValue),
    extra: anyValue,
  },
  { requiredKeys: [] },
);

describe('the hand-written heartbeat body check', () => {
  it('accepts exactly the bodies the schema accepts, with the same agent id', () => {
    fc.assert(
      fc.property(fc.oneof(bodyLike, fc.anything(), fc.jsonValue()), (body) => {
        const schema = WireHeartbeat.safeParse(body);
        expect(acceptsHeartbeat(body)).toBe(schema.success);
        if (schema.success) expect(heartbeatAgentId(body)).toBe(schema.data.agentId);
      }),
      { numRuns: 5_000 },
    );
  });

  it('refuses with the schema’s own message', () => {
    fc.assert(
      fc.property(bodyLike, (body) => {
        const schema = WireHeartbeat.safeParse(body);
        if (schema.success) return;
        expect(() => heartbeatAgentId(body)).toThrow(describeZodError(schema.error));
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('POST /api/agent/heartbeat', () => {
  let server: TestServer;
  let admin: TrpcHttp;
  let key: string;
  let keyId: string;

  beforeEach(async () => {
    server = await TestServer.start({ keyRotationGraceMs: 60_000 });
    admin = new TrpcHttp(server.url, ADMIN_TOKEN);
    ({ key, id: keyId } = await admin.do<{ key: string; id: string }>('mutation', 'apiKeys.create', { name: 'fleet' }));
  });

  afterEach(() => server.destroy());

  const beat = (secret: string, body: unknown = { agentId: 'sensor-1', status: 'idle' }) => wire(server.url, secret, 'POST', HEARTBEAT, body);

  it('refuses a revoked key on the very next heartbeat, however often the key was accepted before', async () => {
    for (let i = 0; i < 3; i++) expect((await beat(key)).status).toBe(200);
    await admin.do('mutation', 'apiKeys.revoke', { id: keyId });
    expect(await beat(key)).toMatchObject({ status: 401, body: { error: 'API key revoked' } });
  });

  it('keeps a replaced key working through its grace period only, and takes the new key at once', async () => {
    expect((await beat(key)).status).toBe(200);
    const rotated = await admin.do<{ key: string }>('mutation', 'apiKeys.rotate', { id: keyId });
    expect((await beat(rotated.key)).status).toBe(200);
    expect((await beat(key)).status).toBe(200);
    await server.advance(60_001);
    expect(await beat(key)).toMatchObject({ status: 401, body: { error: 'Invalid API key' } });
    expect((await beat(rotated.key)).status).toBe(200);
  });

  it('answers a connected sensor and an unknown agent id alike: the answer, its headers, the caller’s request id', async () => {
    const known = await wire<{ agentId: string }>(server.url, key, 'POST', '/api/agent/register', { name: 'scanner-1', hostname: 'node-1' });
    for (const agentId of [known.body.agentId, 'never-seen-before']) {
      const response = await fetch(`${server.url}${HEARTBEAT}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', 'X-Request-Id': `trace-${agentId}` },
        body: JSON.stringify({ agentId, status: 'idle', activeScans: 0, uptimeSeconds: 10 }),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ ok: true, sensorId: agentId, status: 'online', serverTime: new Date(server.clock.now()).toISOString(), nextHeartbeatInMs: 30_000 });
      expect(Object.fromEntries(response.headers)).toMatchObject({ ...SECURITY_HEADERS, 'x-request-id': `trace-${agentId}`, 'content-type': 'application/json; charset=utf-8' });
    }
    // The unknown id became a sensor of the org, as any first heartbeat does.
    const { total } = await admin.do<{ total: number }>('query', 'sensors.list', {});
    expect(total).toBe(2);
  });

  it('answers bad bodies and bad keys with the same statuses, messages and headers as every route', async () => {
    const cases: [secret: string, body: string, status: number, error: string][] = [
      [key, '{"agentId":', 400, 'Request body is not valid JSON'],
      [key, '[]', 400, describeZodError(WireHeartbeat.safeParse([]).error!)],
      [key, '{"agentId":""}', 400, describeZodError(WireHeartbeat.safeParse({ agentId: '' }).error!)],
      [key, '{"agentId":"a","activeScans":1e999}', 400, describeZodError(WireHeartbeat.safeParse({ agentId: 'a', activeScans: Infinity }).error!)],
      ['hg_ak_0123456789abcdef0123456789abcdef', '{"agentId":"a"}', 401, 'Invalid API key'],
    ];
    for (const [secret, body, status, error] of cases) {
      const response = await fetch(`${server.url}${HEARTBEAT}`, { method: 'POST', headers: { Authorization: `Bearer ${secret}`, 'Content-Type': 'application/json' }, body });
      expect({ status: response.status, body: await response.json() }).toEqual({ status, body: { error } });
      expect(Object.fromEntries(response.headers)).toMatchObject(SECURITY_HEADERS);
      expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(server.httpLog).toEqual([]);
  });

  it('answers any other method as the route table does (404 naming it)', async () => {
    expect(await wire(server.url, key, 'GET', HEARTBEAT)).toMatchObject({ status: 404, body: { error: `No route GET ${HEARTBEAT}` } });
  });
});
