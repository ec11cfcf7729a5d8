import { describe, expect, it } from 'vitest';
import { InvalidEvent } from './errors.js';
import { InMemoryEventStore } from './memory/memory-event-store.js';
import type { EventToAppend } from './port.js';
import { withCatalogValidation } from './validating-event-store.js';

const metadata = { orgId: 'org-1', occurredAt: '2025-01-01T10:00:00.000Z', actor: { kind: 'system', id: 'monitor' } };
const cameOnline = (sensorId: string): EventToAppend => ({
  type: 'SensorCameOnline',
  data: { sensorId, at: '2025-01-01T10:00:00.000Z', from: 'new' },
  metadata,
});

async function rejection(promise: Promise<unknown>): Promise<InvalidEvent> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidEvent);
  return error as InvalidEvent;
}

describe('withCatalogValidation', () => {
  it('appends catalog events and passes reads through', async () => {
    const inner = new InMemoryEventStore();
    const store = withCatalogValidation(inner);
    const result = await store.appendToStream('sensor-1', [cameOnline('sensor-1')], { expectedRevision: 'no_stream' });
    expect(result.nextExpectedRevision).toBe(0n);
    const [event] = await store.readStream('sensor-1');
    expect(event).toMatchObject({ type: 'SensorCameOnline', data: { sensorId: 'sensor-1' }, metadata });
    expect(await store.readAll()).toEqual(await inner.readAll());
    expect(await store.readAllRaw?.()).toEqual(await inner.readAllRaw());
    expect((await store.readAllRaw?.())?.[0]?.metadata).toBe(JSON.stringify(metadata));
    await store.ping();
  });

  it('rejects data that breaks the schema, naming the field, and writes nothing', async () => {
    const inner = new InMemoryEventStore();
    const store = withCatalogValidation(inner);
    const error = await rejection(
      store.appendToStream('sensor-1', [{ ...cameOnline('sensor-1'), data: { sensorId: 'sensor-1', at: 'yesterday', from: 'new' } }]),
    );
    expect(error.eventType).toBe('SensorCameOnline');
    expect(error.issues).toContain('data.at');
    expect(await inner.readAll()).toEqual([]);
  });

  it('rejects an unknown event type', async () => {
    const error = await rejection(withCatalogValidation(new InMemoryEventStore()).appendToStream('s', [{ type: 'TestEvent', data: {}, metadata }]));
    expect(error.eventType).toBe('TestEvent');
    expect(error.issues).toContain('unknown event type "TestEvent"');
  });

  it('rejects missing or incomplete metadata', async () => {
    const store = withCatalogValidation(new InMemoryEventStore());
    const missing = await rejection(store.appendToStream('sensor-1', [{ ...cameOnline('sensor-1'), metadata: undefined }]));
    expect(missing.issues).toContain('metadata');
    const partial = await rejection(store.appendToStream('sensor-1', [{ ...cameOnline('sensor-1'), metadata: { orgId: 'org-1' } }]));
    expect(partial.issues).toContain('metadata.occurredAt');
    expect(partial.issues).toContain('metadata.actor');
  });

  it('writes nothing when one event of a batch is invalid, and says which one', async () => {
    const inner = new InMemoryEventStore();
    const store = withCatalogValidation(inner);
    const bad: EventToAppend = { type: 'SensorDeleted', data: {}, metadata };
    const error = await rejection(store.appendToStream('sensor-1', [cameOnline('sensor-1'), bad, cameOnline('sensor-1')]));
    expect(error.eventType).toBe('SensorDeleted');
    expect(error.issues).toContain('data.sensorId');
    expect(error.issues).toContain('event 2 of 3');
    expect(await inner.readStream('sensor-1')).toEqual([]);
  });

  it('leaves concurrency errors to the wrapped store', async () => {
    const store = withCatalogValidation(new InMemoryEventStore());
    await store.appendToStream('sensor-1', [cameOnline('sensor-1')]);
    await expect(store.appendToStream('sensor-1', [cameOnline('sensor-1')], { expectedRevision: 'no_stream' })).rejects.toMatchObject({
      name: 'WrongExpectedVersion',
      actual: 0n,
    });
  });
});
