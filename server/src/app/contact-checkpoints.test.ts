import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { InMemoryEventStore, withCatalogValidation } from '@harborguard/eventstore';
import { CONTACTS_PER_RECORD } from '../domain/contacts.js';
import { HarborGuard } from './harborguard.js';

const CHECKPOINT_MS = 15_000;

async function started() {
  const clock = new SimulatedClock();
  clock.set(Date.parse('2026-11-27T10:00:00Z'));
  const store = withCatalogValidation(new InMemoryEventStore());
  const app = HarborGuard.create({ store, clock, offlineAfterMs: 120_000, heartbeatIntervalMs: 30_000, pollIntervalMs: 10_000, keyRotationGraceMs: 1000, log: () => {}, showAdminToken: () => {}, contactCheckpointMs: CHECKPOINT_MS });
  await app.start();
  /** Contacts of `count` sensors with the longest ids a sensor may have (the largest records), handed to the next checkpoint. */
  const called = (count: number) => {
    const contacts = new Map<string, number>();
    for (let i = 0; i < count; i++) contacts.set(`${String(i).padStart(6, '0')}${'x'.repeat(122)}`, clock.now() - i);
    app.supervisor.restoreContacts(new Map([['default', contacts]]));
    return contacts;
  };
  return { clock, store, app, called };
}

describe('contact checkpoints', () => {
  it('splits a large fleet into records that each stay well under 1 MiB, every contact kept, and stores nothing when no sensor called', async () => {
    const { clock, store, app, called } = await started();
    const contacts = called(2 * CONTACTS_PER_RECORD + 1);
    clock.increment(CHECKPOINT_MS);
    await app.contactCheckpoints.checkpoint();
    clock.increment(CHECKPOINT_MS);
    await app.contactCheckpoints.checkpoint();

    const records = (await store.readStream('contacts-default')).map((event) => event.data as { contacts: Record<string, string> });
    expect(records.map((record) => Object.keys(record.contacts).length)).toEqual([CONTACTS_PER_RECORD, CONTACTS_PER_RECORD, 1]);
    for (const record of records) expect(Buffer.byteLength(JSON.stringify(record))).toBeLessThan(1024 * 1024);
    const stored = new Map(records.flatMap((record) => Object.entries(record.contacts)).map(([id, at]) => [id, Date.parse(at)]));
    expect(stored).toEqual(contacts);
    await app.stop();
  });

  it('lets other work run between the records of one checkpoint, so a large fleet never holds the service for long', async () => {
    const { store, app, called } = await started();
    called(3 * CONTACTS_PER_RECORD);
    const recordsWhenOtherWorkRan = new Promise<number>((resolve) => setImmediate(() => void store.readStream('contacts-default').then((events) => resolve(events.length), () => resolve(-1))));
    await app.contactCheckpoints.checkpoint();
    expect(await recordsWhenOtherWorkRan).toBe(1);
    expect(await store.readStream('contacts-default')).toHaveLength(3);
    await app.stop();
  });
});
