import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, TestServer } from '../support/test-server.js';
import { TrpcHttp } from '../support/http-clients.js';
import type { UserPrincipal } from '../../server/src/app/principal.js';

/** Auditors see every stored event of their org exactly once, in order, whatever the page size or start. */
describe('audit.events paging', () => {
  let server: TestServer;
  let auditor: TrpcHttp;
  let positions: string[];

  beforeAll(async () => {
    server = await TestServer.start();
    const admin = new TrpcHttp(server.url, ADMIN_TOKEN);
    const user: UserPrincipal = { kind: 'user', orgId: 'default', tokenId: 'test', role: 'admin' };
    // Enough events to cross the service's internal read pages several times, with another org's between.
    const other: UserPrincipal = { ...user, orgId: (await admin.do<{ id: string }>('mutation', 'orgs.create', { name: 'acme' })).id };
    for (let i = 0; i < 2_700; i++) {
      await server.app.registries.create(user, { name: `r${i}`, url: `r${i}.example` });
      if (i % 3 === 0) await server.app.registries.create(other, { name: `o${i}`, url: `o${i}.example` });
    }
    await server.settled();
    auditor = admin.as((await admin.do<{ token: string }>('mutation', 'tokens.create', { role: 'auditor', name: 'audit' })).token);
    positions = (await server.store.readAll({ maxCount: 1_000_000 })).filter((e) => e.metadata['orgId'] === 'default').map((e) => e.position.toString());
    expect(positions.length).toBeGreaterThan(2_600);
  }, 120_000);

  afterAll(() => server.destroy());

  const readAll = async (limit: number, after?: string) => {
    const seen: string[] = [];
    let cursor = after;
    for (;;) {
      const page = await auditor.do<{ events: { position: string }[]; next: string | null }>('query', 'audit.events', { limit, ...(cursor ? { after: cursor } : {}) });
      seen.push(...page.events.map((e) => e.position));
      if (page.next === null) return seen;
      cursor = page.next;
    }
  };

  it.each([1_000, 999, 500, 333, 7])('pages of %i give every event once, in order, with no gap', async (limit) => {
    expect(await readAll(limit)).toEqual(positions);
  });

  it('starting anywhere, including on a page boundary, gives exactly the events after that point', async () => {
    for (const index of [0, 998, 999, 1_000, 1_998, 2_500]) {
      expect(await readAll(400, positions[index])).toEqual(positions.slice(index + 1));
    }
  });

  it('refuses a cursor that is not a position with a 400 naming the field', async () => {
    const answer = await auditor.query('audit.events', { limit: 10, after: 'abc' });
    expect(answer.status).toBe(400);
    expect(answer.body.error?.message).toMatch(/^after:/);
  });
});
