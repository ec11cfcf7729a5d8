import { afterEach, describe, expect, it } from 'vitest';
import type { ActorNames, Me, OrgRow } from '@harborguard/shared';
import { ADMIN_TOKEN, TestServer } from '../support/test-server.js';
import { TrpcHttp } from '../support/http-clients.js';
import { wireSensor } from '../support/sensor-clients.js';

/** Settings → Access: who am I, the names behind the causes of events, and the orgs, each within its wall. */
describe('access: names, own token and orgs', () => {
  let server: TestServer;
  let admin: TrpcHttp;
  afterEach(() => server?.destroy());

  async function start() {
    server = await TestServer.start();
    admin = new TrpcHttp(server.url, ADMIN_TOKEN);
  }

  it('tells anyone their own token’s name and role, and nothing of other tokens', async () => {
    await start();
    const { token } = await admin.do<{ token: string }>('mutation', 'tokens.create', { role: 'auditor', name: 'Dana (compliance)' });
    const auditor = admin.as(token);
    expect(await auditor.do<Me>('query', 'session.me')).toMatchObject({ name: 'Dana (compliance)', role: 'auditor', orgId: 'default', orgName: 'default' });
    expect((await auditor.query('tokens.list')).status).toBe(403);
    expect((await admin.as('not-a-token').query('session.me')).status).toBe(401);
  });

  it('names the org’s people and sensors for auditors, and only its own', async () => {
    await start();
    const { key } = await admin.do<{ key: string }>('mutation', 'apiKeys.create', { name: 'edge' });
    const sensorId = await wireSensor(server.url, key).register({ name: 'edge-01', hostname: 'edge-01.internal' });
    const { id: tokenId, token } = await admin.do<{ id: string; token: string }>('mutation', 'tokens.create', { role: 'auditor', name: 'Dana' });
    const names = await admin.as(token).do<ActorNames>('query', 'actors.names');
    expect(names.users).toContainEqual({ id: tokenId, name: 'Dana' });
    expect(names.users.map((u) => u.name)).toContain('admin');
    expect(names.sensors).toEqual([{ id: sensorId, name: 'edge-01' }]);

    const { id: orgId } = await admin.do<{ id: string }>('mutation', 'orgs.create', { name: 'acme' });
    const acme = admin.as((await admin.do<{ token: string }>('mutation', 'tokens.create', { role: 'auditor', name: 'acme auditor', orgId })).token);
    expect(await acme.do<ActorNames>('query', 'actors.names')).toEqual({ users: [{ id: expect.any(String), name: 'acme auditor' }], sensors: [] });
    // Asked by id, names come only for the asker's own sensors that exist.
    const other = await wireSensor(server.url, key).register({ name: 'edge-02', hostname: 'edge-02.internal' });
    expect((await admin.do<ActorNames>('query', 'actors.names', { sensorIds: [other, 'no-such-sensor'] })).sensors).toEqual([{ id: other, name: 'edge-02' }]);
    expect((await admin.do<ActorNames>('query', 'actors.names', { sensorIds: [] })).sensors).toEqual([]);
    expect((await acme.do<ActorNames>('query', 'actors.names', { sensorIds: [sensorId, other] })).sensors).toEqual([]);
  });

  it('lists orgs for admins of the default org only', async () => {
    await start();
    const { id: orgId } = await admin.do<{ id: string }>('mutation', 'orgs.create', { name: 'acme' });
    expect(await admin.do<OrgRow[]>('query', 'orgs.list')).toEqual([{ id: 'default', name: 'default' }, { id: orgId, name: 'acme' }]);
    const acmeAdmin = admin.as((await admin.do<{ token: string }>('mutation', 'tokens.create', { role: 'admin', name: 'acme admin', orgId })).token);
    const refused = await acmeAdmin.query('orgs.list');
    expect(refused.status).toBe(403);
    expect(refused.body.error?.message).toMatch(/default org/);
    const operator = admin.as((await admin.do<{ token: string }>('mutation', 'tokens.create', { role: 'operator', name: 'ops' })).token);
    expect((await operator.query('orgs.list')).status).toBe(403);
  });
});
