import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, TestServer, type TestServerOptions } from '../support/test-server.js';
import { TrpcHttp } from '../support/http-clients.js';
import { rawSocket, subscribeFleet, type RawSocket } from '../support/live-client.js';
import { wireSensor } from '../support/sensor-clients.js';

const EVIL = 'http://evil.example.com';
const createAdminToken = { id: 1, method: 'mutation', params: { path: 'tokens.create', input: { role: 'admin', name: 'stolen' } } };
const whoami = { id: 2, method: 'query', params: { path: 'session.whoami' } };

describe('WebSocket admission', () => {
  let server: TestServer;
  const sockets: RawSocket[] = [];
  const closers: (() => Promise<void>)[] = [];

  async function start(options: TestServerOptions = {}) {
    server = await TestServer.start(options);
    return new TrpcHttp(server.url, ADMIN_TOKEN);
  }

  function socket(options: Parameters<typeof rawSocket>[1]) {
    const opened = rawSocket(server.url, options);
    sockets.push(opened);
    return opened;
  }

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.close();
    while (closers.length) await closers.pop()!();
    await server.destroy();
  });

  it('refuses the session cookie from a page of another origin, so it cannot create tokens', async () => {
    const admin = await start();
    const ws = socket({ headers: { Cookie: `hg_session=${ADMIN_TOKEN}`, Origin: EVIL } });
    await ws.opened;
    ws.send(createAdminToken);
    const answer = await ws.answer(1);
    expect(answer.error?.data?.code).toBe('FORBIDDEN');
    expect(answer.error?.message).toContain(EVIL);
    await ws.closed;
    const tokens = await admin.do<{ name: string }[]>('query', 'tokens.list');
    expect(tokens.map((t) => t.name)).toEqual(['admin']);
  });

  it('refuses the session cookie without an Origin', async () => {
    await start();
    const ws = socket({ headers: { Cookie: `hg_session=${ADMIN_TOKEN}` } });
    await ws.opened;
    ws.send(whoami);
    expect((await ws.answer(2)).error?.data?.code).toBe('FORBIDDEN');
  });

  it("accepts the session cookie from the service's own origin and from HARBORGUARD_ALLOWED_ORIGINS", async () => {
    await start({ http: { allowedOrigins: ['https://dashboard.example.com'] } });
    for (const origin of [server.url, 'https://dashboard.example.com']) {
      const ws = socket({ headers: { Cookie: `hg_session=${ADMIN_TOKEN}`, Origin: origin } });
      await ws.opened;
      ws.send(whoami);
      expect((await ws.answer(2)).result?.data).toMatchObject({ role: 'admin' });
    }
  });

  it('accepts a bearer token in the connection params from any origin', async () => {
    await start();
    const ws = socket({ headers: { Origin: EVIL }, expectConnectionParams: true });
    await ws.opened;
    ws.send({ method: 'connectionParams', data: { token: ADMIN_TOKEN } });
    ws.send(whoami);
    expect((await ws.answer(2)).result?.data).toMatchObject({ role: 'admin' });
  });

  it('closes a connection without credentials at once, and one whose connection params never come after 10 s', async () => {
    await start();
    const bare = socket({});
    await bare.opened;
    expect((await bare.answer(0)).error?.data?.code).toBe('UNAUTHORIZED');
    await bare.closed;

    const silent = socket({ expectConnectionParams: true });
    await silent.opened;
    await server.advance(9_999);
    expect(silent.isOpen()).toBe(true);
    await server.advance(1);
    expect(await silent.closed).toEqual({ code: 1008, reason: 'Not authenticated in time' });
  });

  it('closes a connection that sends a message over 1 MiB with 1009, logging nothing', async () => {
    await start();
    const ws = socket({ headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    await ws.opened;
    ws.send({ id: 3, method: 'query', params: { path: 'session.whoami', input: 'x'.repeat(1024 * 1024) } });
    expect((await ws.closed).code).toBe(1009);
    expect(server.httpLog).toEqual([]);
  });

  it('ends a subscription as unauthorised when its token is revoked', async () => {
    const admin = await start();
    const key = (await admin.do<{ key: string }>('mutation', 'apiKeys.create', { name: 'fleet' })).key;
    const operator = await admin.do<{ id: string; token: string }>('mutation', 'tokens.create', { role: 'operator', name: 'ops' });
    const live = subscribeFleet(server.url, operator.token);
    closers.push(() => live.close());
    await live.ready;
    await admin.do('mutation', 'tokens.revoke', { id: operator.id });
    await wireSensor(server.url, key).register({ name: 'scanner', hostname: 'h' });
    const error = (await live.waitForError()) as Error & { data?: { code?: string } };
    expect(error.data?.code).toBe('UNAUTHORIZED');
    expect(error.message).toBe('Token revoked');
    expect(server.httpLog).toEqual([]);
  });
});
