import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { AppendTooLarge, StoreUnavailable, WrongExpectedVersion, type EventStore } from '@harborguard/eventstore';
import type { ActorRef, DomainEvent, EventMetadata } from '@harborguard/shared';
import { modelEventOf, type ModelEvent } from '../domain/model-event.js';
import { AppError } from '../domain/errors.js';
import { KeyedSerializer } from './keyed-serializer.js';
import { ChainHeads, chainHash } from './event-chain.js';
import type { StreamStates } from './stream-states.js';

export interface WriteContext {
  orgId: string;
  actor: ActorRef;
  /** Server time of the cause (ms). */
  at: number;
  causationId?: string;
  correlationId?: string;
}

export type StoredListener = (events: ModelEvent[]) => void;

const RETRY_INITIAL_MS = 100;
const RETRY_MAX_MS = 5_000;
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
  /** Each stream's newest hash: every event appended is chained to it (see `event-chain.ts`). */
  private readonly heads: ChainHeads;
  /** False while the store refuses writes; readiness reports it. */
  storeHealthy = true;
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
    this.heads = new ChainHeads(store);
  }

  onStored(listener: StoredListener): void {
    this.listeners.push(listener);
  }

  /** Appends events to a stream once the ones queued before them are stored. */
  append(streamName: string, events: DomainEvent[], context: WriteContext): Promise<ModelEvent[]> {
    if (events.length === 0) return Promise.resolve([]);
    return this.whileUnstored(context.at, () => this.appendInTurn(streamName, events, context));
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
        return await this.write(streamName, events, context);
      } catch (error) {
        this.heads.forget(streamName);
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
    return this.whileUnstored(context.at, () => this.decideInTurn(streamName, decide, context));
  }

  private decideInTurn(streamName: string, decide: () => DomainEvent[], context: WriteContext): Promise<ModelEvent[]> {
    return this.streams.run(streamName, async () => {
      for (let attempt = 1; ; attempt++) {
        const events = decide();
        if (events.length === 0) return [];
        try {
          return await this.write(streamName, events, context);
        } catch (error) {
          this.heads.forget(streamName);
          if (!(error instanceof WrongExpectedVersion)) throw error;
          if (attempt === CONFLICT_ATTEMPTS) throw conflict(streamName);
          await this.reload(streamName);
        }
      }
    });
  }

  /** Resolves when everything queued so far is stored. */
  settled(): Promise<void> {
    return this.streams.drained();
  }

  private async reload(streamName: string): Promise<void> {
    const events = await this.store.readStream(streamName, { fromRevision: 'start' });
    this.states.forget(streamName);
    for (const event of events) this.states.apply(modelEventOf(event));
  }

  private async write(streamName: string, events: DomainEvent[], context: WriteContext): Promise<ModelEvent[]> {
    const metadata: EventMetadata = {
      orgId: context.orgId,
      occurredAt: new Date(context.at).toISOString(),
      actor: context.actor,
      ...(context.causationId ? { causationId: context.causationId } : {}),
      ...(context.correlationId ? { correlationId: context.correlationId } : {}),
    };
    const expectedRevision = this.states.revision(streamName);
    const toAppend = await this.chained(streamName, expectedRevision === 'no_stream' ? 0n : expectedRevision + 1n, events, metadata);
    let delay = RETRY_INITIAL_MS;
    const started = performance.now();
    for (;;) {
      try {
        const result = await this.store.appendToStream(streamName, toAppend, { expectedRevision });
        this.storeHealthy = true;
        if (this.lastPosition === null || result.position > this.lastPosition) this.lastPosition = result.position;
        this.appendObserver?.((performance.now() - started) / 1000, events.length);
        const first = result.nextExpectedRevision - BigInt(events.length - 1);
        const stored = toAppend.map((event, index) => ({ streamName, revision: first + BigInt(index), type: event.type, data: event.data, metadata: event.metadata }));
        this.heads.remember(streamName, toAppend.at(-1)!.metadata.chain.hash);
        for (const event of stored) this.states.apply(event);
        this.announce(stored);
        return stored;
      } catch (error) {
        if (error instanceof AppendTooLarge) throw new AppError('payload_too_large', error.message);
        if (!(error instanceof StoreUnavailable)) throw error;
        // Facts already decided are kept and retried until the store is back; callers wait.
        this.storeHealthy = false;
        this.log(`event store unavailable while appending to ${streamName} (${error.message}); retrying in ${delay} ms`);
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, RETRY_MAX_MS);
      }
    }
  }

  /** The events to append, each carrying its link in the stream's hash chain. */
  private async chained(streamName: string, firstRevision: bigint, events: DomainEvent[], metadata: EventMetadata) {
    let prev = await this.heads.head(streamName);
    return events.map((event, index) => {
      const id = randomUUID();
      const content = { streamName, revision: firstRevision + BigInt(index), id, type: event.type, data: event.data, metadata };
      const hash = chainHash(content, prev);
      const chained = { id, type: event.type, data: event.data, metadata: { ...metadata, chain: { prev, hash } } };
      prev = hash;
      return chained;
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

function conflict(streamName: string): AppError {
  return new AppError('conflict', `"${streamName}" was changed by another writer; retry the request`);
}
