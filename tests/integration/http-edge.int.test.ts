import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_TOKEN, TestServer, type TestServerOptions } from '../support/test-server.js';
import { bearer, TrpcHttp, wire } from '../support/http-clients.js';
import { serveDashboard } from '../../server/src/http/static.js';

const METRICS_TOKEN = 'metrics-token-0123456789';

describe('HTTP edge', () => {
  let server: TestServer;
  let dashboardDir: string | undefined;

  afterEach(async () => {
    await server.destroy();
    if (dashboardDir) rmSync(dashboardDir, { recursive: true, force: true });
  });

  async function start(options: TestServerOptions = {}) {
    dashboardDir = mkdtempSync(join(tmpdir(), 'hg-dashboard-'));
    writeFileSync(join(dashboardDir, 'index.html'), '<!doctype html><title>HarborGuard</title>');
    server = await TestServer.start({ ...options, http: { serveStatic: serveDashboard(dashboardDir), ...options.http } });
    return new TrpcHttp(server.url, ADMIN_TOKEN);
  }

  async function sensorKey(admin: TrpcHttp) {
    return (await admin.do<{ key: string }>('mutation', 'apiKeys.create', { name: 'fleet' })).key;
  }

  it('answers malformed percent-encoding in a path or the session cookie with 400, logging nothing', async () => {
    const admin = await start();
    const key = await sensorKey(admin);
    const dashboard = await fetch(`${server.url}/sensors/%E0%A4%A`);
    expect(dashboard.status).toBe(400);
    expect(await dashboard.json()).toEqual({ error: 'Path is not valid percent-encoding' });
    expect(await wire(server.url, key, 'POST', '/api/agent/jobs/%E0%A4%A/status', { status: 'completed' })).toMatchObject({
      status: 400,
      body: { error: 'Job id in the path is not valid percent-encoding' },
    });
    for (const path of ['/api/session', '/api/trpc/session.whoami']) {
      const answer = await fetch(`${server.url}${path}`, { headers: { Cookie: 'hg_session=%E0%A4%A' } });
      expect(answer.status, path).toBe(400);
      expect(JSON.stringify(await answer.json()), path).toContain('Cookie hg_session is not valid percent-encoding');
    }
    expect(server.httpLog).toEqual([]);
  });

  it('takes a client that hangs up mid-request as no failure, and keeps answering', async () => {
    const admin = await start();
    const key = await sensorKey(admin);
    const { port } = new URL(server.url);
    const seenClosed = server.nextConnectionClosed();
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(
      `POST /api/agent/heartbeat HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"agentId":`,
    );
    socket.destroy();
    await seenClosed;
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(server.httpLog).toEqual([]);
  });

  it('sends security headers with API answers and the dashboard, so neither can be framed', async () => {
    await start();
    for (const path of ['/healthz', '/api/trpc/session.whoami', '/api/agent/heartbeat', '/sensors']) {
      const answer = await fetch(`${server.url}${path}`, { method: path === '/api/agent/heartbeat' ? 'POST' : 'GET', headers: bearer(ADMIN_TOKEN) });
      expect(answer.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(answer.headers.get('x-frame-options'), path).toBe('DENY');
      expect(answer.headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(answer.headers.get('content-security-policy'), path).toContain("frame-ancestors 'none'");
    }
    const page = await fetch(`${server.url}/sensors`);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).not.toContain("default-src 'none'");
  });

  it('protects /metrics with HARBORGUARD_METRICS_TOKEN when it is set', async () => {
    await start({ http: { metricsToken: METRICS_TOKEN } });
    const missing = await fetch(`${server.url}/metrics`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toContain('Bearer');
    expect((await fetch(`${server.url}/metrics`, { headers: bearer(ADMIN_TOKEN) })).status).toBe(401);
    const allowed = await fetch(`${server.url}/metrics`, { headers: bearer(METRICS_TOKEN) });
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toContain('harborguard_sensors{status="online"}');
  });

  it('leaves /metrics open when no metrics token is set', async () => {
    await start();
    const open = await fetch(`${server.url}/metrics`);
    expect(open.status).toBe(200);
    expect(await open.text()).toContain('harborguard_ready 1');
  });
});
