import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_TOKEN, TestServer } from '../support/test-server.js';
import { TrpcHttp } from '../support/http-clients.js';
import { wireSensor } from '../support/sensor-clients.js';
import { appRouter } from '../../server/src/api/app-router.js';
import { serveDashboard } from '../../server/src/http/static.js';

const WIRE_ROUTES: [string, string][] = [
  ['POST', '/api/agent/register'],
  ['POST', '/api/agent/heartbeat'],
  ['GET', '/api/agent/jobs'],
  ['POST', '/api/agent/jobs/job-1/status'],
  ['POST', '/api/scans/upload'],
  ['POST', '/api/session'],
  ['GET', '/api/session'],
  ['GET', '/metrics'],
  ['GET', '/readyz'],
  ['GET', '/sensors'],
];

const PROCEDURES = Object.keys(appRouter._def.procedures);

/** Printable ASCII: what an HTTP header value can carry. */
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 60 });

/** Text with stray and malformed percent-escapes mixed in. */
const pathNoise = fc.array(fc.oneof(fc.constantFrom('%', '%E0%A4%A', '%ZZ', '%00', '..', '/', '?', '#', '%2F', '&input=', ','), fc.string({ maxLength: 8 })), { maxLength: 5 }).map((parts) => parts.join(''));

const body = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
  fc.record({ agentId: fc.string(), status: fc.string(), token: fc.string(), scan: fc.jsonValue() }, { requiredKeys: [] }).map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }),
  fc.constant(undefined),
);

describe('fuzzing every wire route and tRPC procedure', () => {
  let server: TestServer;
  let dashboardDir: string;
  let credentials: fc.Arbitrary<Record<string, string>>;

  beforeAll(async () => {
    dashboardDir = mkdtempSync(join(tmpdir(), 'hg-dashboard-'));
    writeFileSync(join(dashboardDir, 'index.html'), '<!doctype html><title>HarborGuard</title>');
    server = await TestServer.start({ http: { serveStatic: serveDashboard(dashboardDir), metricsToken: 'metrics-token-0123456789' } });
    const admin = new TrpcHttp(server.url, ADMIN_TOKEN);
    const key = (await admin.do<{ key: string }>('mutation', 'apiKeys.create', { name: 'fleet' })).key;
    await wireSensor(server.url, key).register({ name: 'scanner', hostname: 'node-1' });
    const secret = fc.oneof(fc.constantFrom(ADMIN_TOKEN, key), headerText);
    credentials = fc.oneof(
      fc.constant({}),
      secret.map((s): Record<string, string> => ({ Authorization: `Bearer ${s}` })),
      headerText.map((s): Record<string, string> => ({ Authorization: s })),
      fc.oneof(secret, pathNoise.filter((s) => /^[\x21-\x7e]*$/.test(s))).map((s): Record<string, string> => ({ Cookie: `hg_session=${s}` })),
    );
  });

  afterAll(async () => {
    await server.destroy();
    rmSync(dashboardDir, { recursive: true, force: true });
  });

  const target = fc.oneof(
    fc.constantFrom(...WIRE_ROUTES).map(([method, path]) => ({ method, path })),
    fc.record({ method: fc.constantFrom('GET', 'POST'), path: fc.constantFrom(...PROCEDURES).map((p) => `/api/trpc/${p}`) }),
    fc.record({ method: fc.constantFrom('GET', 'POST'), path: fc.array(fc.constantFrom(...PROCEDURES), { minLength: 1, maxLength: 4 }).map((ps) => `/api/trpc/${ps.join(',')}?batch=1`) }),
    fc.record({ method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'), path: fc.constantFrom('/', '/api/', '/api/trpc', '/api/agent/jobs/') }),
  );

  it('never answers 5xx, never logs a failure, and keeps answering /healthz', async () => {
    const request = fc.record({
      target,
      noise: fc.option(pathNoise, { nil: undefined }),
      query: fc.option(fc.oneof(pathNoise, fc.jsonValue().map((v) => `input=${encodeURIComponent(JSON.stringify(v))}`)), { nil: undefined }),
      credentials,
      contentType: fc.option(fc.oneof(fc.constantFrom('application/json', 'text/plain', 'multipart/form-data', 'application/octet-stream'), headerText), { nil: undefined }),
      body,
    });
    await fc.assert(
      fc.asyncProperty(request, async ({ target: { method, path }, noise, query, credentials: auth, contentType, body: payload }) => {
        const url = `${server.url}${path}${noise ?? ''}${query === undefined ? '' : `${path.includes('?') ? '&' : '?'}${query}`}`;
        const headers = { ...auth, ...(contentType === undefined ? {} : { 'Content-Type': contentType }) };
        const withBody = method !== 'GET' && payload !== undefined;
        const response = await fetch(url, { method, headers, ...(withBody ? { body: payload } : {}) }).catch((error: Error) => error);
        // A URL or header fetch itself refuses never reached the server.
        if (response instanceof Error) return;
        // Subscriptions over HTTP stream for ever: the status is all there is to check.
        if (response.headers.get('content-type')?.includes('text/event-stream')) await response.body?.cancel();
        else await response.arrayBuffer();
        expect(response.status, `${method} ${url}`).toBeLessThan(500);
        expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      }),
      { numRuns: 400, seed: 20261129 },
    );
    expect(server.httpLog).toEqual([]);
  });
});
