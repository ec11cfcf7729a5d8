import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { withCatalogValidation } from '@harborguard/eventstore';
import { EsdbEventStore } from '../../eventstore/src/esdb/index.js';
import { HarborGuard } from '../../server/src/app/harborguard.js';
import type { SensorPrincipal } from '../../server/src/app/principal.js';
import { CONTACTS_PER_RECORD } from '../../server/src/domain/contacts.js';
import { esdbTargets } from '../support/esdb-targets.js';

const CHECKPOINT_MS = 15_000;
const FAST_RETRY = { initialDelayMs: 20, maxDelayMs: 100 };

for (const target of esdbTargets()) {
  describe(`last-contact checkpoints on EventStoreDB (${target.name})`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    async function boot(connectionString: string, clock: SimulatedClock) {
      const store = await EsdbEventStore.connect(connectionString, { retry: FAST_RETRY });
      const app = HarborGuard.create({
        store: withCatalogValidation(store),
        clock,
        offlineAfterMs: 120_000,
        heartbeatIntervalMs: 30_000,
        pollIntervalMs: 10_000,
        keyRotationGraceMs: 1000,
        adminToken: 'esdb-admin-token-0123456789abcdef',
        log: () => {},
        showAdminToken: () => {},
        contactCheckpointMs: CHECKPOINT_MS,
      });
      await app.start();
      return { app, store };
    }

    it('stores the last contacts of a large fleet within the append size limit, and a restart restores them into the actors', async () => {
      const server = await target.open();
      cleanups.push(() => server.stop());
      const clock = new SimulatedClock();
      clock.set(Date.parse('2026-11-27T10:00:00Z'));
      const first = await boot(server.connectionString, clock);
      cleanups.push(() => first.store.close());
      const agent: SensorPrincipal = { kind: 'sensor', orgId: 'default', apiKeyId: 'k1' };
      const ids: string[] = [];
      // Sensors with the longest ids allowed, so each record is as large as it gets.
      for (let i = 0; i < 9_000; i++) ids.push(`${String(i).padStart(6, '0')}${'s'.repeat(122)}`);
      for (const id of ids.slice(0, 3)) await first.app.sensors.heartbeat(agent, id);
      const contacts = new Map(ids.map((id, i) => [id, clock.now() + 1_000 + i]));
      first.app.supervisor.restoreContacts(new Map([['default', contacts]]));
      await first.app.contactCheckpoints.checkpoint();
      expect((await first.store.readStream('contacts-default')).length).toBe(Math.ceil(ids.length / CONTACTS_PER_RECORD));
      await first.app.stop();

      const second = await boot(server.connectionString, clock);
      cleanups.push(() => second.app.stop());
      for (const [i, id] of ids.slice(0, 3).entries()) expect(second.app.supervisor.live(id)?.lastContactAt).toBe(clock.now() + 1_000 + i);
    });
  });
}
