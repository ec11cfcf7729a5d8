import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { InMemoryEventStore, withCatalogValidation } from '@harborguard/eventstore';
import { HarborGuard } from './harborguard.js';

const CHECKPOINT_MS = 15_000;

describe('contact checkpoints', () => {
  it('splits a large fleet into records that each stay well under 1 MiB, every contact kept, and stores nothing when no sensor called', async () => {
    const clock = new SimulatedClock();
    clock.set(Date.parse('2026-11-27T10:00:00Z'));
    const store = withCatalogValidation(new InMemoryEventStore());
    const app = HarborGuard.create({ store, clock, offlineAfterMs: 120_000, heartbeatIntervalMs: 30_000, pollIntervalMs: 10_000, keyRotationGraceMs: 1000, log: () => {}, showAdminToken: () => {}, contactCheckpointMs: CHECKPOINT_MS });
    await app.start();
    // The longest ids a sensor may have: the largest records.
    const contacts = new Map<string, number>();
    for (let i = 0; i < 9_000; i++) contacts.set(`${String(i).padStart(6, '0')}${'x'.repeat(122)}`, clock.now() - i);
    app.supervisor.restoreContacts(new Map([['default', contacts]]));
    clock.increment(CHECKPOINT_MS);
    await app.contactCheckpoints.checkpoint();
    clock.increment(CHECKPOINT_MS);
    await app.contactCheckpoints.checkpoint();

    const records = (await store.readStream('contacts-default')).map((event) => event.data as { contacts: Record<string, string> });
    expect(records).toHaveLength(3);
    for (const record of records) expect(Buffer.byteLength(JSON.stringify(record))).toBeLessThan(1024 * 1024);
    const stored = new Map(records.flatMap((record) => Object.entries(record.contacts)).map(([id, at]) => [id, Date.parse(at)]));
    expect(stored).toEqual(contacts);
    await app.stop();
  });
});
