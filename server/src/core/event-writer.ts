import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { AppendTooLarge, StoreUnavailable, WrongExpectedVersion, type AppendResult, type EventStore } from '@harborguard/eventstore';
import type { ActorRef, DomainEvent, EventMetadata } from '@harborguard/shared';
import { modelEventOf, type ModelEvent } from '../domain/model-event.js';
import { AppError } from '../domain/errors.js';
import { KeyedSerializer } from './keyed-serializer.js';
import { chainEvent } from './event-chain.js';
import type { StreamStates } from './stream-states.js';
import { systemClock } from './clock.js';
import { StoreAvailability } from './store-availability.js';

export interface WriteContext {
  orgId: string;
  actor: ActorRef;
  /** Server time of the cause (ms). */
  at: number;
  causationId?: string;
  correlationId?: string;
}

export type StoredListener = (events: ModelEvent[]) => void;

/** A decision made on a stale state is made again on the stream as stored, this often at most. */
const CONFLICT_ATTEMPTS = 3;

/**
 * The one way events get into the store. Appends to one stream are strictly ordered and use
 * the stream's known revision as the expected revision, so a second writer fails loudly
 * instead of forking a stream's history. Stored events evolve the write model, then are
 * announced to listeners (reactions, scheduling).
 */
export class EventWriter {
  private readonly streams = new KeyedSerializer();
  private readonly listeners: StoredListener[] = [];
  /** Whether the store takes writes, and the way back when it does not; HarborGuard gives it its clock. */
  availability: StoreAvailability;
  /** Global position of the last event this writer stored: reads wait for projections to reach it. */
  lastPosition: bigint | null = null;
  /**
   * How many appends not yet stored carry each event time (`context.at`): events still to come
   * are no older than the oldest of these, so consumers that group on event time know up to
   * when the log is complete.
   */
  private readonly unstoredAt = new Map<number, number>();
  private storedUpToWaiters: { at: number; resolve: () => void }[] = [];
  /** Told of each append once stored: seconds since its first attempt (retries included) and how many events it held. */
  appendObserver: ((seconds: number, events: number) => void) | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly states: StreamStates,
    private readonly log: (line: string) => void = () => {},
  ) {
    this.availability = new StoreAvailability({ clock: systemClock, ping: () => store.ping(), log });
  }

  /** False while the store refuses writes; readiness reports it. */
  get storeHealthy(): boolean {
    return this.availability.available;
  }

  onStored(listener: StoredListener): void {
    this.listeners.push(listener);
  }

  /**
   * Appends events to a stream once the ones queued before them are stored. The events are facts
   * already decided (a machine moved), so while the store is away they are kept, in order, and
   * stored when it is back, as they were decided. A person or sensor waiting on them is answered
   * 503 at once instead (see `answered`): they were not stored yet.
   */
  append(streamName: string, events: DomainEvent[], context: WriteContext): Promise<ModelEvent[]> {
    if (events.length === 0) return Promise.resolve([]);
    const stored = this.whileUnstored(context.at, () => this.appendInTurn(streamName, events, context));
    return isSystem(context) ? stored : this.answered(streamName, stored);
  }

  /** The oldest event time among appends accepted but not stored yet; null when none waits. */
  oldestUnstoredAt(): number | null {
    let oldest: number | null = null;
    for (const at of this.unstoredAt.keys()) if (oldest === null || at < oldest) oldest = at;
    return oldest;
  }

  /** Resolves once no append of events older than `at` is still waiting to be stored. */
  storedUpTo(at: number): Promise<void> {
    const oldest = this.oldestUnstoredAt();
    if (oldest === null || oldest >= at) return Promise.resolve();
    return new Promise((resolve) => this.storedUpToWaiters.push({ at, resolve }));
  }

  private whileUnstored<T>(at: number, write: () => Promise<T>): Promise<T> {
    this.unstoredAt.set(at, (this.unstoredAt.get(at) ?? 0) + 1);
    return write().finally(() => {
      const left = this.unstoredAt.get(at)! - 1;
      if (left === 0) this.unstoredAt.delete(at);
      else this.unstoredAt.set(at, left);
      if (this.storedUpToWaiters.length === 0) return;
      const oldest = this.oldestUnstoredAt() ?? Number.POSITIVE_INFINITY;
      const ready = this.storedUpToWaiters.filter((waiter) => waiter.at <= oldest);
      this.storedUpToWaiters = this.storedUpToWaiters.filter((waiter) => waiter.at > oldest);
      for (const waiter of ready) waiter.resolve();
    });
  }

  private appendInTurn(streamName: string, events: DomainEvent[], context: WriteContext): Promise<ModelEvent[]> {
    return this.streams.run(streamName, async () => {
      try {
        return await this.write(streamName, events, context, true);
      } catch (error) {
        throw error instanceof WrongExpectedVersion ? conflict(streamName) : error;
      }
    });
  }

  /**
   * Decides in the stream's turn, on its state as of every append queued before, and appends
   * what was decided. When another writer changed the stream meanwhile, the stream is read
   * again and the decision made again.
   */
  decideAndAppend(streamName: string, decide: () => DomainEvent[], context: WriteContext): Promise<ModelEvent[]> {
    // A request is refused while the store is away: nothing is decided that could not be stored.
    // The system's own decisions (checkpoints, schedules, notification records) are kept.
    try {
      this.refuseWhileAway(context);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.whileUnstored(context.at, () => this.decideInTurn(streamName, decide, context));
  }

  private decideInTurn(streamName: string, decide: () => DomainEvent[], context: WriteContext): Promise<ModelEvent[]> {
    const keep = isSystem(context);
    return this.streams.run(streamName, async () => {
      for (let attempt = 1; ; attempt++) {
        this.refuseWhileAway(context);
        const events = decide();
        if (events.length === 0) return [];
        try {
          return await this.write(streamName, events, context, keep);
        } catch (error) {
          if (!(error instanceof WrongExpectedVersion)) throw error;
          if (attempt === CONFLICT_ATTEMPTS) throw conflict(streamName);
          await this.reload(streamName);
        }
      }
    });
  }

  /**
   * Refuses a request (503) while the store is away, before it waits for anything: a lock it
   * would take may be held by a system write kept until the store is back. The system's own
   * work is never refused; it is kept.
   */
  refuseWhileAway(context: WriteContext): void {
    if (!isSystem(context) && !this.availability.available) throw this.availability.refusal();
  }

  /** Resolves when everything queued so far is stored. */
  settled(): Promise<void> {
    return this.streams.drained();
  }

  private async reload(streamName: string): Promise<void> {
    const events = await this.store.readStream(streamName, { fromRevision: 'start' }).catch((error: unknown) => {
      if (!(error instanceof StoreUnavailable)) throw error;
      this.availability.failed(error);
      throw this.availability.refusal();
    });
    this.states.forget(streamName);
    for (const event of events) this.states.apply(modelEventOf(event));
  }

  /**
   * Stores one append. While the store is away a kept append waits for its turn (see
   * StoreAvailability) and is tried again with the same events, ids, times and expected
   * revision, so it is stored once, as decided (EventStoreDB takes the repeat of an append it
   * already stored, when only its answer was lost, as that same append). An append not kept
   * is refused with a 503 instead.
   */
  private async write(streamName: string, events: DomainEvent[], context: WriteContext, keep: boolean): Promise<ModelEvent[]> {
    const metadata = metadataOf(context);
    const expectedRevision = this.states.revision(streamName);
    const availability = this.availability;
    const started = performance.now();
    let toAppend: ChainedEvent[] | undefined;
    availability.hold(events.length);
    try {
      for (;;) {
        if (!availability.available) {
          if (!keep) throw availability.refusal();
          await availability.turn();
        }
        try {
          toAppend ??= this.chained(streamName, expectedRevision === 'no_stream' ? 0n : expectedRevision + 1n, events, metadata);
          const result = await this.store.appendToStream(streamName, toAppend, { expectedRevision });
          availability.answered();
          return this.stored(streamName, toAppend, result, started);
        } catch (error) {
          if (!(error instanceof StoreUnavailable)) {
            availability.answered();
            throw error instanceof AppendTooLarge ? new AppError('payload_too_large', error.message) : error;
          }
          availability.failed(error);
        }
      }
    } finally {
      availability.release(events.length);
    }
  }

  /** Takes a stored append into the write model and tells the listeners. */
  private stored(streamName: string, toAppend: ChainedEvent[], result: AppendResult, started: number): ModelEvent[] {
    if (this.lastPosition === null || result.position > this.lastPosition) this.lastPosition = result.position;
    this.appendObserver?.((performance.now() - started) / 1000, toAppend.length);
    const first = result.nextExpectedRevision - BigInt(toAppend.length - 1);
    const stored = toAppend.map((event, index) => ({ streamName, revision: first + BigInt(index), type: event.type, data: event.data, metadata: event.metadata }));
    for (const event of stored) this.states.apply(event);
    this.announce(stored);
    return stored;
  }

  /**
   * The caller's view of a kept append: stored, or a 503 as soon as the store is found away
   * (the append itself stays kept and is stored when the store is back).
   */
  private answered(streamName: string, stored: Promise<ModelEvent[]>): Promise<ModelEvent[]> {
    const keptQuietly = () => stored.catch((error: unknown) => this.log(`kept append to ${streamName} failed: ${String(error)}`));
    if (!this.availability.available) {
      keptQuietly();
      return Promise.reject(this.availability.refusal());
    }
    return new Promise((resolve, reject) => {
      const stopListening = this.availability.onOutage(() => {
        keptQuietly();
        reject(this.availability.refusal());
      });
      stored.then(
        (events) => (stopListening(), resolve(events)),
        (error: unknown) => (stopListening(), reject(error)),
      );
    });
  }

  /** The events to append, each carrying its link in the stream's hash chain. */
  private chained(streamName: string, firstRevision: bigint, events: DomainEvent[], metadata: EventMetadata) {
    // The write model's head, like its revision: as of the last event of the stream it took in.
    let prev = this.states.chainHead(streamName);
    return events.map((event, index) => {
      const id = randomUUID();
      const content = { streamName, revision: firstRevision + BigInt(index), id, type: event.type, data: event.data, metadata };
      const chained = chainEvent(content, prev);
      prev = chained.hash;
      return { id, type: event.type, data: event.data, metadata: chained.metadata };
    });
  }

  private announce(events: ModelEvent[]): void {
    for (const listener of this.listeners) {
      try {
        listener(events);
      } catch (error) {
        this.log(`listener failed on ${events[0]?.type}: ${(error as Error).stack ?? String(error)}`);
      }
    }
  }
}

type ChainedEvent = ReturnType<EventWriter['chained']>[number];

function isSystem(context: WriteContext): boolean {
  return context.actor.kind === 'system';
}

function metadataOf(context: WriteContext): EventMetadata {
  return {
    orgId: context.orgId,
    occurredAt: new Date(context.at).toISOString(),
    actor: context.actor,
    ...(context.causationId ? { causationId: context.causationId } : {}),
    ...(context.correlationId ? { correlationId: context.correlationId } : {}),
  };
}

function conflict(streamName: string): AppError {
  return new AppError('conflict', `"${streamName}" was changed by another writer; retry the request`);
}
