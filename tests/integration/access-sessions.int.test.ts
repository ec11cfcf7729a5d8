import { afterEach, describe, expect, it } from 'vitest';
import type { SessionRow, TokenRow } from '@harborguard/shared';
import { ADMIN_TOKEN, TestServer } from '../support/test-server.js';
import { TrpcHttp } from '../support/http-clients.js';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

/** Settings → Access: the sessions of each token, ended by admins or by their owner, within the org. */
describe('access: sessions of a token', () => {
  let server: TestServer;
  let admin: TrpcHttp;
  afterEach(() => server?.destroy());

  async function start() {
    server = await TestServer.start({ sessionIdleMs: 2 * HOUR, sessionMaxMs: 7 * DAY });
    admin = new TrpcHttp(server.url, ADMIN_TOKEN);
  }
  /** Signs in with a token; the session's secret, used as a bearer credential. */
  async function signIn(token: string, userAgent = 'test-browser/1.0'): Promise<string> {
    const answer = await fetch(`${server.url}/api/session`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: server.url, 'User-Agent': userAgent },
      body: JSON.stringify({ token }),
    });
    expect(answer.status).toBe(200);
    return decodeURIComponent(answer.headers.get('set-cookie')!.split(';')[0]!.split('=')[1]!);
  }
  const status = async (secret: string) => (await admin.as(secret).query('session.whoami')).status;
  const auditor = () => admin.do<{ id: string; token: string }>('mutation', 'tokens.create', { role: 'auditor', name: 'compliance' });

  it('lists the open sessions of a token with where and when they started, and when last seen', async () => {
    await start();
    const { id, token } = await auditor();
    const first = await signIn(token, 'browser-a');
    await server.advance(HOUR);
    await signIn(token, 'browser-b');
    await server.advance(HOUR / 2);
    expect(await status(first)).toBe(200);

    const sessions = await admin.do<SessionRow[]>('query', 'sessions.list', { tokenId: id });
    expect(sessions.map((s) => s.userAgent)).toEqual(['browser-b', 'browser-a']);
    expect(sessions[1]).toMatchObject({ tokenId: id, address: expect.stringMatching(/127\.0\.0\.1/), startedAt: '2026-11-27T10:00:00.000Z', lastSeenAt: '2026-11-27T11:30:00.000Z', current: false });
    const tokens = await admin.do<TokenRow[]>('query', 'tokens.list');
    expect(tokens.find((t) => t.id === id)).toMatchObject({ activeSessions: 2, lastUsedOn: '2026-11-27' });
    expect(JSON.stringify(sessions)).not.toMatch(/hg_ss_|hash/i);
  });

  it('an admin ends one session, or all of a token’s; each end is recorded with its reason', async () => {
    await start();
    const { id, token } = await auditor();
    const a = await signIn(token);
    const b = await signIn(token);
    await server.advance(1000);
    const c = await signIn(token);
    const [newest] = await admin.do<SessionRow[]>('query', 'sessions.list', { tokenId: id });
    await admin.do('mutation', 'sessions.end', { id: newest!.id });
    expect([await status(a), await status(b), await status(c)]).toEqual([200, 200, 401]);

    expect(await admin.do('mutation', 'sessions.endAll', { tokenId: id })).toEqual({ ended: 2 });
    expect([await status(a), await status(b)]).toEqual([401, 401]);
    expect(await admin.do<SessionRow[]>('query', 'sessions.list', { tokenId: id })).toEqual([]);
    const ended = await admin.do<{ events: { data: { reason: string } }[] }>('query', 'audit.events', { type: 'SessionEnded' });
    expect(ended.events.map((e) => e.data.reason)).toEqual(['ended by an admin', 'ended by an admin', 'ended by an admin']);
  });

  it('revoking a token ends its sessions, recorded as such', async () => {
    await start();
    const { id, token } = await auditor();
    const secret = await signIn(token);
    await admin.do('mutation', 'tokens.revoke', { id });
    expect(await status(secret)).toBe(401);
    const ended = await admin.do<{ events: { data: { reason: string } }[] }>('query', 'audit.events', { type: 'SessionEnded' });
    expect(ended.events.map((e) => e.data.reason)).toEqual(['token revoked']);
    expect((await admin.do<TokenRow[]>('query', 'tokens.list')).find((t) => t.id === id)).toMatchObject({ revoked: true, activeSessions: 0 });
  });

  it('anyone signs themselves out everywhere, but only admins end another token’s sessions', async () => {
    await start();
    const { token } = await auditor();
    const mine = [await signIn(token), await signIn(token)];
    const adminSession = await signIn(ADMIN_TOKEN);
    const self = admin.as(mine[0]);
    const refused = await self.mutation('sessions.endAll', { tokenId: (await admin.do<{ tokenId: string }>('query', 'session.whoami')).tokenId });
    expect(refused.status).toBe(403);
    expect(refused.body.error?.message).toMatch(/admin/);
    expect((await self.query('sessions.list', { tokenId: 'x' })).status).toBe(403);

    expect(await self.do('mutation', 'sessions.endAll', {})).toEqual({ ended: 2 });
    expect([await status(mine[0]!), await status(mine[1]!), await status(adminSession)]).toEqual([401, 401, 200]);
    const ended = await admin.do<{ events: { data: { reason: string } }[] }>('query', 'audit.events', { type: 'SessionEnded' });
    expect(ended.events.map((e) => e.data.reason)).toEqual(['signed out everywhere', 'signed out everywhere']);
  });

  it('keeps each org to its own tokens and sessions', async () => {
    await start();
    const { id: tokenId, token } = await auditor();
    await signIn(token);
    const [session] = await admin.do<SessionRow[]>('query', 'sessions.list', { tokenId });
    const { id: orgId } = await admin.do<{ id: string }>('mutation', 'orgs.create', { name: 'acme' });
    const acme = admin.as((await admin.do<{ token: string }>('mutation', 'tokens.create', { role: 'admin', name: 'acme admin', orgId })).token);

    expect((await acme.query('sessions.list', { tokenId })).status).toBe(404);
    expect((await acme.mutation('sessions.end', { id: session!.id })).status).toBe(404);
    expect((await acme.mutation('sessions.endAll', { tokenId })).status).toBe(404);
    expect((await acme.do<TokenRow[]>('query', 'tokens.list')).map((t) => t.name)).toEqual(['acme admin']);
    expect(await status(await signIn(token))).toBe(200);
    expect((await admin.do<SessionRow[]>('query', 'sessions.list', { tokenId })).length).toBe(2);
  });

  it('keeps the day a token was last used, by its bearer token or its sessions, across days', async () => {
    await start();
    const { id, token } = await auditor();
    const lastUsed = async () => (await admin.do<TokenRow[]>('query', 'tokens.list')).find((t) => t.id === id)!.lastUsedOn;
    expect(await lastUsed()).toBeNull();
    await server.advance(2 * DAY);
    await admin.as(token).do('query', 'session.whoami');
    expect(await lastUsed()).toBe('2026-11-29');
    await server.advance(DAY);
    await signIn(token);
    expect(await lastUsed()).toBe('2026-11-30');
  });
});
