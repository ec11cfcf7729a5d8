import { describe, expect, it } from 'vitest';
import { InMemoryEventStore } from '@harborguard/eventstore';
import type { EventData, EventType } from '@harborguard/shared';
import { modelEventOf } from '../domain/model-event.js';
import { Projector } from './projector.js';
import { ReadModels } from './read-models.js';
import { MemoryReadModelStore, type ReadModelStore, type StoredRow } from './read-model-store.js';

const T0 = Date.parse('2026-11-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
/** More rows than the projector serialises in one turn of the event loop. */
const SENSORS = 1_200;

interface Save {
  position: bigint | null;
  /** Each row's JSON at the moment the store serialised it, by `kind:id`. */
  rows: Map<string, string>;
}

/** Stores rows in memory and remembers, per save, each row as it was when serialised. */
class RecordingStore implements ReadModelStore {
  readonly saves: Save[] = [];
  private readonly inner = new MemoryReadModelStore();
  private slicedSaveBegun: () => void = () => {};
  /** Resolves once a save in slices has begun. */
  readonly slicedSave = new Promise<void>((resolve) => (this.slicedSaveBegun = resolve));

  load = () => this.inner.load();
  loadAsync = () => this.inner.loadAsync();
  close = () => this.inner.close();
  closeAsync = () => this.inner.closeAsync();

  save(rows: StoredRow[], position: bigint | null): void {
    const save: Save = { position, rows: new Map() };
    this.inner.save(watched(rows, save), position);
    this.saves.push(save);
  }

  async saveInSlices(rows: StoredRow[], position: bigint | null, rowsPerSlice: number): Promise<void> {
    const save: Save = { position, rows: new Map() };
    const saved = this.inner.saveInSlices(watched(rows, save), position, rowsPerSlice);
    this.slicedSaveBegun();
    await saved;
    this.saves.push(save);
  }
}

/** The rows, each noting its record's JSON in `save` when the store reads it. */
function watched(rows: StoredRow[], save: Save): StoredRow[] {
  return rows.map(({ kind, id, record }) => ({
    kind,
    id,
    get record() {
      save.rows.set(`${kind}:${id}`, JSON.stringify(record));
      return record;
    },
  }));
}

describe('projector', () => {
  it('writes a large change in slices while live, every row as of the checkpoint stored with it, and events arriving meanwhile after it', async () => {
    const store = new InMemoryEventStore();
    const append = <T extends EventType>(type: T, stream: string, data: EventData<T>, at: number) => store.appendToStream(stream, [{ type, data, metadata: { orgId: 'o1', occurredAt: iso(at) } }]);
    const ids = Array.from({ length: SENSORS }, (_, i) => `s-${i}`);
    for (const sensorId of ids) {
      const details = { name: sensorId, hostname: `${sensorId}.example`, version: '1', os: 'linux', arch: 'amd64', capabilities: ['scan' as const], scannerVersions: {} };
      await append('SensorRegistered', `sensor-${sensorId}`, { sensorId, orgId: 'o1', apiKeyId: 'key-1', autoCreated: false, ...details }, T0);
    }
    const rows = new RecordingStore();
    const model = new ReadModels();
    const projector = new Projector(store, model, rows, { flushAfterEvents: 1, flushIntervalMs: 3_600_000 });
    await projector.start();

    // One checkpoint record changes every sensor's row; a sensor goes offline while those rows are written.
    await append('SensorContactsCheckpointed', 'contacts-o1', { orgId: 'o1', contacts: Object.fromEntries(ids.map((id) => [id, iso(T0 + 30_000)])) }, T0 + 30_000);
    await rows.slicedSave;
    const last = ids.at(-1)!;
    const offline = await append('SensorWentOffline', `sensor-${last}`, { sensorId: last, lastHeartbeatAt: iso(T0 + 30_000), at: iso(T0 + 150_000), thresholdMs: 120_000 }, T0 + 150_000);
    await projector.waitFor(offline.position, 60_000);
    await projector.stop();

    expect(model.sensors.live(last)?.status).toBe('offline');
    const log = await store.readAll({ maxCount: 10 * SENSORS });
    const large = rows.saves.filter((save) => save.rows.size === SENSORS);
    expect(large.length).toBeGreaterThan(0);
    for (const save of rows.saves) {
      const rebuilt = new ReadModels();
      for (const event of log) if (save.position !== null && event.position <= save.position) rebuilt.apply(modelEventOf(event));
      for (const [key, json] of save.rows) expect(json, `${key} as stored with checkpoint ${save.position}`).toBe(JSON.stringify(rebuilt.sensors.sensors.get(key.slice('sensor:'.length))));
    }
  });
});
