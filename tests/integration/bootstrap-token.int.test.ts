import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, TestServer } from '../support/test-server.js';
import { TrpcHttp } from '../support/http-clients.js';

/** Changing HARBORGUARD_ADMIN_TOKEN replaces the bootstrap admin token: the old one stops working. */
describe('the bootstrap admin token', () => {
  let server: TestServer;
  afterEach(() => server?.destroy());

  it('a newly configured token revokes the previous one, and the trail says why', async () => {
    server = await TestServer.start();
    const old = new TrpcHttp(server.url, ADMIN_TOKEN);
    const { tokenId: oldId } = await old.do<{ tokenId: string }>('query', 'session.whoami');
    const { dataDir, clock } = server;
    await server.stop();

    const replacement = 'a-new-configured-admin-token-4f7c1e';
    server = await TestServer.start({ dataDir, clock, adminToken: replacement });
    const refused = await new TrpcHttp(server.url, ADMIN_TOKEN).query('session.whoami');
    expect(refused.status).toBe(401);
    expect(refused.body.error?.message).toBe('Token revoked');
    expect((await new TrpcHttp(server.url, replacement).query('session.whoami')).status).toBe(200);
    const revoked = (await server.stream(`token-${oldId}`)).find((event) => event.type === 'TokenRevoked');
    expect(revoked?.data).toMatchObject({ reason: expect.stringContaining('HARBORGUARD_ADMIN_TOKEN') });

    // Starting again with the same token changes nothing.
    const { dataDir: dir, clock: c } = server;
    await server.stop();
    server = await TestServer.start({ dataDir: dir, clock: c, adminToken: replacement });
    expect((await new TrpcHttp(server.url, replacement).query('session.whoami')).status).toBe(200);
  });
});
