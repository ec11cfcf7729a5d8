import type { EventStore, RawRecordedEvent, RecordedEvent } from '@harborguard/eventstore';
import { modelEventOf, type ModelEvent } from '../domain/model-event.js';
import { rawLogPages } from '../core/log-pages.js';
import { KeyedSerializer } from '../core/keyed-serializer.js';
import { ReadModels } from './read-models.js';
import type { StoredRecord } from './records.js';

/** Events read from the log per page while replaying (payloads parsed only up to the moment). */
const REPLAY_PAGE = 2_000;
/** A snapshot of the read models is kept after every this many events a replay applies. */
const SNAPSHOT_EVERY = 10_000;
/**
 * Record references all snapshots may hold together (8 bytes each; the records themselves are
 * shared between snapshots until they change, their nested values for as long as they last).
 * Past it, every second snapshot is dropped: the snapshots stay spread over the whole log, only
 * further apart.
 */
const MAX_SNAPSHOT_REFERENCES = 8_000_000;

/** The read models as they stood after the event at `position` (null: before the first event). */
export interface ReplayedState {
  models: ReadModels;
  position: bigint | null;
}

/** Read models frozen after a prefix of the log: their records and the prefix's newest event time. */
interface Snapshot {
  position: bigint;
  /** The latest `occurredAt` of the events up to `position`: usable for any moment at or after it. */
  latestTime: number;
  /** Frozen copies, nested values included (see `frozenCopy`). */
  records: StoredRecord[];
}

/** When an event happened, by the service's clock (the store's time for events written without it). */
export function occurredAtMs(event: RecordedEvent): number {
  return timeOf(event.metadata, event.recordedAt.getTime());
}

const timeOf = (metadata: Record<string, unknown>, recordedAt: number) => {
  const occurredAt = metadata['occurredAt'];
  return typeof occurredAt === 'string' ? Date.parse(occurredAt) : recordedAt;
};

/**
 * Replays the log into fresh read models, through the very projections the live service runs,
 * up to a moment: the prefix of the log that ends before the first event that happened after
 * it. Snapshots of earlier replays shorten later ones; a snapshot is loaded the way stored
 * rows are loaded at start-up, which yields the models the replay of its prefix yields.
 */
export class HistoryReplay {
  private snapshots: Snapshot[] = [];
  /** One replay at a time: each holds a whole set of read models while it runs. */
  private readonly turns = new KeyedSerializer();

  constructor(
    private readonly store: EventStore,
    private readonly options: { snapshotEvery?: number; useSnapshots?: boolean; maxSnapshotReferences?: number } = {},
  ) {}

  /** Snapshots kept so far. */
  get snapshotCount(): number {
    return this.snapshots.length;
  }

  /** The read models at `at` (ms since the epoch). */
  stateAt(at: number): Promise<ReplayedState> {
    return this.turns.run('replay', () => this.replay(at));
  }

  private async replay(at: number): Promise<ReplayedState> {
    const models = new ReadModels();
    const base = this.options.useSnapshots === false ? undefined : this.latestSnapshotBefore(at);
    // Loaded records change in place as events apply: the models get their own top-level copies,
    // sharing the frozen nested values, which projections replace rather than change.
    if (base) models.hydrate(base.records.map(({ kind, record }) => ({ kind, record: { ...(record as object) } })), base.position);
    const every = this.options.snapshotEvery ?? SNAPSHOT_EVERY;
    const collected = new SnapshotCollector(base);
    let sinceSnapshot = 0;
    for await (const page of rawLogPages(this.store, { after: base?.position ?? null, pageSize: REPLAY_PAGE })) {
      for (const raw of page) {
        // The metadata says when; the data is parsed only for events up to the moment.
        const metadata = JSON.parse(raw.metadata) as Record<string, unknown>;
        const time = timeOf(metadata, raw.recordedAt);
        if (time > at) return { models, position: models.position };
        models.apply(parsed(raw, metadata));
        collected.observe(time);
        if (++sinceSnapshot === every) {
          sinceSnapshot = 0;
          this.keep(collected.take(models, raw.position));
        }
      }
    }
    return { models, position: models.position };
  }

  private latestSnapshotBefore(at: number): Snapshot | undefined {
    let best: Snapshot | undefined;
    for (const snapshot of this.snapshots) if (snapshot.latestTime <= at && (best === undefined || snapshot.position > best.position)) best = snapshot;
    return best;
  }

  private keep(snapshot: Snapshot): void {
    if (this.snapshots.some((kept) => kept.position === snapshot.position)) return;
    this.snapshots.push(snapshot);
    this.snapshots.sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0));
    const limit = this.options.maxSnapshotReferences ?? MAX_SNAPSHOT_REFERENCES;
    let references = this.snapshots.reduce((sum, kept) => sum + kept.records.length, 0);
    while (references > limit && this.snapshots.length > 1) {
      this.snapshots = this.snapshots.filter((_, index) => index % 2 === 0);
      references = this.snapshots.reduce((sum, kept) => sum + kept.records.length, 0);
    }
  }
}

/**
 * Frozen copies of every record the replay has touched so far. A copy is replaced (never
 * changed) when its record changes again, so one copy may be shared by several snapshots.
 */
class SnapshotCollector {
  /** Built at the first snapshot: most replays end before they take one. */
  private records: Map<string, StoredRecord> | null = null;
  private latestTime: number;

  constructor(private readonly base: Snapshot | undefined) {
    this.latestTime = base?.latestTime ?? Number.NEGATIVE_INFINITY;
  }

  observe(time: number): void {
    if (time > this.latestTime) this.latestTime = time;
  }

  take(models: ReadModels, position: bigint): Snapshot {
    if (this.records === null) {
      this.records = new Map();
      for (const stored of this.base?.records ?? []) this.records.set(`${stored.kind}:${(stored.record as { id: string }).id}`, stored);
    }
    for (const { kind, id, record } of models.takeDirty()) {
      if (record === null) this.records.delete(`${kind}:${id}`);
      else this.records.set(`${kind}:${id}`, { kind, record: frozenCopy(record as Record<string, unknown>) });
    }
    return { position, latestTime: this.latestTime, records: [...this.records.values()] };
  }
}

/**
 * A record's copy for a snapshot: a new top-level object, frozen, whose nested values (arrays,
 * objects) are the record's own, frozen too. Projections change records by assigning their
 * top-level fields, so nested values can be shared by the record, its copies and the models
 * loaded from them; were one ever changed in place, the replay would fail loudly (a frozen
 * object refuses writes in strict code) rather than alter a snapshot.
 */
function frozenCopy(record: Record<string, unknown>): Record<string, unknown> {
  for (const value of Object.values(record)) deepFreeze(value);
  return Object.freeze({ ...record });
}

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const nested of Object.values(value)) deepFreeze(nested);
}

/** A raw event with its payloads parsed (`metadata` already is), as the models read it. */
function parsed(raw: RawRecordedEvent, metadata: Record<string, unknown>): ModelEvent & { position: bigint } {
  const event = { ...raw, data: JSON.parse(raw.data) as unknown, metadata, recordedAt: new Date(raw.recordedAt) };
  return modelEventOf(event);
}
