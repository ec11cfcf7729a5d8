import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, TestServer, type TestServerOptions } from '../support/test-server.js';
import { TrpcHttp } from '../support/http-clients.js';

const HOUR = 60 * 60 * 1000;

/** Dashboard sessions: a random secret in the cookie, ended on the server, expiring, audited. */
describe('dashboard sessions', () => {
  let server: TestServer;
  afterEach(() => server?.destroy());

  const start = async (options: TestServerOptions = {}) => (server = await TestServer.start({ sessionIdleMs: 2 * HOUR, sessionMaxMs: 24 * HOUR, ...options }));
  const signIn = (token: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/api/session`, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: server.url, ...headers }, body: JSON.stringify({ token }) });
  const cookieOf = (response: Response) => response.headers.get('set-cookie')!.split(';')[0]!;
  const whoami = (cookie: string) => fetch(`${server.url}/api/session`, { headers: { Cookie: cookie } });

  it('keeps a random session secret in the cookie, never the token, and records who signed in from where', async () => {
    await start();
    const answer = await signIn(ADMIN_TOKEN, { 'User-Agent': 'test-browser/1.0' });
    expect(answer.status).toBe(200);
    const cookie = cookieOf(answer);
    expect(cookie).toMatch(/^hg_session=hg_ss_[0-9a-f]{64}$/);
    expect(answer.headers.get('set-cookie')).not.toContain(ADMIN_TOKEN);
    expect((await whoami(cookie)).status).toBe(200);

    const audit = await new TrpcHttp(server.url, ADMIN_TOKEN).do<{ events: { type: string; data: Record<string, unknown> }[] }>('query', 'audit.events', { type: 'SessionStarted' });
    expect(audit.events).toHaveLength(1);
    expect(audit.events[0]!.data).toMatchObject({ address: expect.stringMatching(/127\.0\.0\.1/), userAgent: 'test-browser/1.0' });
    expect(JSON.stringify(audit.events)).not.toMatch(/sessionHash|hg_ss_/);
  });

  it('signing out ends the session for good: the same cookie is refused afterwards, and the end is recorded', async () => {
    await start();
    const cookie = cookieOf(await signIn(ADMIN_TOKEN));
    const out = await fetch(`${server.url}/api/session`, { method: 'DELETE', headers: { Cookie: cookie } });
    expect(out.status).toBe(200);
    const replayed = await whoami(cookie);
    expect(replayed.status).toBe(401);
    expect(((await replayed.json()) as { error: string }).error).toBe('Session ended; sign in again');
    const events = await new TrpcHttp(server.url, ADMIN_TOKEN).do<{ events: { data: { reason: string } }[] }>('query', 'audit.events', { type: 'SessionEnded' });
    expect(events.events.map((e) => e.data.reason)).toEqual(['signed out']);
  });

  it('ends a session unused for the idle time, and any session at its absolute expiry', async () => {
    await start();
    const idle = cookieOf(await signIn(ADMIN_TOKEN));
    const busy = cookieOf(await signIn(ADMIN_TOKEN));
    for (let hour = 1; hour <= 23; hour++) {
      await server.advance(HOUR);
      expect((await whoami(busy)).status, `hour ${hour}`).toBe(200);
    }
    expect((await whoami(idle)).status).toBe(401);
    await server.advance(HOUR);
    const expired = await whoami(busy);
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as { error: string }).error).toBe('Session expired; sign in again');
  });

  it('a revoked token ends its sessions', async () => {
    await start();
    const admin = new TrpcHttp(server.url, ADMIN_TOKEN);
    const { id, token } = await admin.do<{ id: string; token: string }>('mutation', 'tokens.create', { role: 'auditor', name: 'auditor' });
    const cookie = cookieOf(await signIn(token));
    expect((await whoami(cookie)).status).toBe(200);
    await admin.do('mutation', 'tokens.revoke', { id });
    expect((await whoami(cookie)).status).toBe(401);
  });

  it('takes a sign-in only as JSON from the service’s own pages', async () => {
    await start();
    expect((await signIn(ADMIN_TOKEN, { Origin: 'https://evil.example' })).status).toBe(403);
    const noOrigin = await fetch(`${server.url}/api/session`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: ADMIN_TOKEN }) });
    expect(noOrigin.status).toBe(403);
    const form = await fetch(`${server.url}/api/session`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: server.url }, body: `token=${ADMIN_TOKEN}` });
    expect(form.status).toBe(400);
    expect(form.headers.get('set-cookie')).toBeNull();
  });

  it('marks the cookie Secure when the service is reached over https, not because a header says so', async () => {
    await start();
    expect((await signIn(ADMIN_TOKEN, { 'X-Forwarded-Proto': 'https' })).headers.get('set-cookie')).not.toContain('Secure');
    await server.destroy();
    await start({ http: { publicUrl: 'https://hg.example.com' } });
    expect((await signIn(ADMIN_TOKEN)).headers.get('set-cookie')).toContain('; Secure');
  });
});
