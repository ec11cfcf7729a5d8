import { AppendSignal } from '../append-signal.js';
import { toJson } from '../event-json.js';
import { randomUUID } from 'node:crypto';
import { EventStoreError, StoreUnavailable, WrongExpectedVersion } from '../errors.js';
import type {
  AllFilter,
  AppendOptions,
  AppendResult,
  EventMetadata,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  RawRecordedEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeToAllOptions,
  SubscriptionMessage,
} from '../port.js';

/**
 * What the store keeps per event: the event as a raw read returns it (payloads as JSON text, so
 * readers never share objects with writers). Positions count from 1: the index in the log plus one.
 */
export type InMemoryStoredEvent = RawRecordedEvent;

/** The events of an in-memory store, kept apart from the store so a test can reopen them. */
export class InMemoryEventLog {
  readonly events: InMemoryStoredEvent[] = [];
  readonly streams = new Map<string, InMemoryStoredEvent[]>();
}

/**
 * An event store held in memory: fast, for unit tests of other workspaces. It behaves like the
 * durable adapters (same concurrency checks, JSON round-trip of payloads, catch-up subscriptions).
 */
export class InMemoryEventStore implements EventStore {
  readonly #log: InMemoryStoredEvent[];
  readonly #streams: Map<string, InMemoryStoredEvent[]>;
  /** Subscriptions waiting for the next append (or close). */
  readonly #appended = new AppendSignal();
  #closed = false;

  /** Pass the `log` of a closed store to simulate a restart over the same events. */
  constructor(readonly log: InMemoryEventLog = new InMemoryEventLog()) {
    this.#log = log.events;
    this.#streams = log.streams;
  }

  async appendToStream(streamName: string, events: EventToAppend[], options: AppendOptions = {}): Promise<AppendResult> {
    this.#assertOpen();
    if (events.length === 0) throw new EventStoreError(`Append to "${streamName}" has no events`);
    const stream = this.#streams.get(streamName);
    const current = stream ? BigInt(stream.length - 1) : null;
    checkExpectedRevision(streamName, options.expectedRevision ?? 'any', current);

    // Serialise everything before touching the log so a bad event writes nothing.
    const recordedAt = Date.now();
    let revision = current ?? -1n;
    const stored = events.map((event, i): InMemoryStoredEvent => {
      revision += 1n;
      return {
        id: event.id ?? randomUUID(),
        streamName,
        revision,
        position: BigInt(this.#log.length + 1 + i),
        type: event.type,
        data: toJson(event.type, 'data', event.data ?? null),
        metadata: toJson(event.type, 'metadata', event.metadata ?? {}),
        recordedAt,
      };
    });
    this.#log.push(...stored);
    if (stream) stream.push(...stored);
    else this.#streams.set(streamName, stored);
    this.#appended.wakeAll();
    const last = stored[stored.length - 1]!;
    return { nextExpectedRevision: last.revision, position: last.position };
  }

  async readStream(streamName: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.#assertOpen();
    const stream = this.#streams.get(streamName) ?? [];
    const forwards = (options.direction ?? 'forwards') === 'forwards';
    const from = options.fromRevision ?? (forwards ? 'start' : 'end');
    const maxCount = options.maxCount ?? Infinity;
    // 'end' is just past the last event (forwards reads nothing); 'start' is revision 0.
    const fromIndex = from === 'start' ? 0 : from === 'end' ? stream.length : Number(from);
    const out: RecordedEvent[] = [];
    if (forwards) {
      for (let i = Math.max(fromIndex, 0); i < stream.length && out.length < maxCount; i++) out.push(materialise(stream[i]!));
    } else {
      for (let i = Math.min(fromIndex, stream.length - 1); i >= 0 && out.length < maxCount; i--) out.push(materialise(stream[i]!));
    }
    return out;
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return this.#scanAll(options, materialise);
  }

  /** The stored JSON text itself: nothing is parsed. */
  async readAllRaw(options: ReadAllOptions = {}): Promise<RawRecordedEvent[]> {
    return this.#scanAll(options, (stored) => ({ ...stored }));
  }

  #scanAll<T>(options: ReadAllOptions, output: (stored: InMemoryStoredEvent) => T): T[] {
    this.#assertOpen();
    const forwards = (options.direction ?? 'forwards') === 'forwards';
    const from = options.fromPosition ?? (forwards ? 'start' : 'end');
    const maxCount = options.maxCount ?? 1000;
    const matches = filterPredicate(options.filter);
    const log = this.#log;
    // Position p lives at index p - 1.
    const fromIndex = from === 'start' ? 0 : from === 'end' ? log.length : Number(from) - 1;
    const out: T[] = [];
    if (forwards) {
      for (let i = Math.max(fromIndex, 0); i < log.length && out.length < maxCount; i++) {
        if (matches(log[i]!)) out.push(output(log[i]!));
      }
    } else {
      for (let i = Math.min(fromIndex, log.length - 1); i >= 0 && out.length < maxCount; i--) {
        if (matches(log[i]!)) out.push(output(log[i]!));
      }
    }
    return out;
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): AsyncIterable<SubscriptionMessage> {
    this.#assertOpen();
    return this.#follow(options);
  }

  async ping(): Promise<void> {
    this.#assertOpen();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#appended.wakeAll();
  }

  async *#follow({ fromPosition = 'start', filter, signal }: SubscribeToAllOptions): AsyncGenerator<SubscriptionMessage> {
    const matches = filterPredicate(filter);
    // Index of the next log entry to examine: the checkpoint is exclusive.
    let next = fromPosition === 'start' ? 0 : Math.max(Number(fromPosition), 0);
    let caughtUp = false;
    const stopped = () => this.#closed || signal?.aborted === true;
    while (!stopped()) {
      if (next < this.#log.length) {
        const stored = this.#log[next]!;
        next += 1;
        if (matches(stored)) yield { kind: 'event', event: materialise(stored) };
        continue;
      }
      if (!caughtUp) {
        caughtUp = true;
        yield { kind: 'caughtUp', position: next > 0 ? BigInt(next) : null };
        continue;
      }
      // Nothing new: wait, registering synchronously after the check so no append slips between.
      await this.#appended.next(signal);
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreUnavailable('The in-memory event store is closed');
  }
}

function checkExpectedRevision(streamName: string, expected: ExpectedRevision, current: bigint | null): void {
  const ok =
    expected === 'any' ||
    (expected === 'no_stream' && current === null) ||
    (expected === 'stream_exists' && current !== null) ||
    (typeof expected === 'bigint' && current === expected);
  if (!ok) throw new WrongExpectedVersion(streamName, expected, current ?? 'no_stream');
}

function filterPredicate(filter: AllFilter | undefined): (event: InMemoryStoredEvent) => boolean {
  const prefixes = filter?.streamPrefixes?.length ? filter.streamPrefixes : null;
  const types = filter?.eventTypes?.length ? new Set(filter.eventTypes) : null;
  return (event) =>
    (prefixes === null || prefixes.some((prefix) => event.streamName.startsWith(prefix))) && (types === null || types.has(event.type));
}

function materialise(stored: InMemoryStoredEvent): RecordedEvent {
  return {
    id: stored.id,
    streamName: stored.streamName,
    revision: stored.revision,
    position: stored.position,
    type: stored.type,
    data: JSON.parse(stored.data) as unknown,
    metadata: JSON.parse(stored.metadata) as EventMetadata,
    recordedAt: new Date(stored.recordedAt),
  };
}
