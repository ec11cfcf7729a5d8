import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { InMemoryEventLog, InMemoryEventStore, withCatalogValidation } from '@harborguard/eventstore';
import { HarborGuard } from './harborguard.js';
import { sha256Hex } from './secrets.js';

function boot(log: InMemoryEventLog, adminToken?: string) {
  const shown: string[] = [];
  const clock = new SimulatedClock();
  clock.set(Date.parse('2026-11-27T10:00:00Z'));
  const app = HarborGuard.create({
    store: withCatalogValidation(new InMemoryEventStore(log)),
    clock,
    offlineAfterMs: 120_000,
    heartbeatIntervalMs: 30_000,
    pollIntervalMs: 10_000,
    keyRotationGraceMs: 1000,
    adminToken,
    log: () => {},
    showAdminToken: (token) => shown.push(token),
  });
  return { app, shown };
}

describe('operator bootstrap', () => {
  it('creates the default org and an admin token shown once, stored only as a hash', async () => {
    const log = new InMemoryEventLog();
    const first = boot(log);
    await first.app.start();
    expect(first.shown).toHaveLength(1);
    const token = first.shown[0]!;
    expect(first.app.access.authenticateUser(`Bearer ${token}`)).toMatchObject({ orgId: 'default', role: 'admin' });
    const stored = await first.app.options.store.readAll({ maxCount: 100 });
    expect(stored.map((e) => e.type)).toEqual(['OrgCreated', 'TokenCreated']);
    expect(JSON.stringify(stored.map((e) => e.data))).not.toContain(token);
    expect(stored[1]!.data).toMatchObject({ tokenHash: sha256Hex(token), role: 'admin' });
    await first.app.stop();

    const second = boot(log);
    await second.app.start();
    expect(second.shown).toEqual([]);
    expect(second.app.access.authenticateUser(`Bearer ${token}`)).toMatchObject({ role: 'admin' });
    expect((await second.app.options.store.readAll({ maxCount: 100 })).length).toBe(2);
  });

  it('uses the configured admin token and never shows it', async () => {
    const log = new InMemoryEventLog();
    const { app, shown } = boot(log, 'configured-admin-token-123');
    await app.start();
    expect(shown).toEqual([]);
    expect(app.access.authenticateUser('Bearer configured-admin-token-123')).toMatchObject({ role: 'admin' });
    await app.stop();
    const again = boot(log, 'configured-admin-token-123');
    await again.app.start();
    expect(await again.app.options.store.readAll({ maxCount: 100 })).toHaveLength(2);
  });
});
