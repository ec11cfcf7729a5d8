import { randomUUID } from 'node:crypto';
import { StoreUnavailable, WrongExpectedVersion, type EventStore } from '@harborguard/eventstore';
import type { ActorRef, DomainEvent, EventMetadata } from '@harborguard/shared';
import type { ModelEvent, FleetModel } from '../domain/fleet-model.js';
import { KeyedSerializer } from './serializer.js';
import { AppError } from '../domain/errors.js';

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

/**
 * The one way events get into the store. Appends to one stream are strictly ordered and use
 * the stream's known revision as the expected revision, so a second writer fails loudly
 * instead of forking a stream's history. Stored events are applied to the write model, then
 * announced to listeners (reactions, live views).
 */
export class EventWriter {
  private readonly streams = new KeyedSerializer();
  private readonly listeners: StoredListener[] = [];
  /** False while the store refuses writes; readiness reports it. */
  storeHealthy = true;
  /** Global position of the last event this writer stored: reads wait for projections to reach it. */
  lastPosition: bigint | null = null;

  constructor(
    private readonly store: EventStore,
    private readonly state: FleetModel,
    private readonly log: (line: string) => void = () => {},
  ) {}

  onStored(listener: StoredListener): void {
    this.listeners.push(listener);
  }

  /** Appends events to a stream once the ones queued before them are stored. */
  append(streamName: string, events: DomainEvent[], context: WriteContext): Promise<ModelEvent[]> {
    if (events.length === 0) return Promise.resolve([]);
    return this.streams.run(streamName, () => this.write(streamName, events, context));
  }

  /** Resolves when everything queued so far is stored. */
  settled(): Promise<void> {
    return this.streams.drained();
  }

  private async write(streamName: string, events: DomainEvent[], context: WriteContext): Promise<ModelEvent[]> {
    const metadata: EventMetadata = {
      orgId: context.orgId,
      occurredAt: new Date(context.at).toISOString(),
      actor: context.actor,
      ...(context.causationId ? { causationId: context.causationId } : {}),
      ...(context.correlationId ? { correlationId: context.correlationId } : {}),
    };
    const expectedRevision = this.state.revisions.get(streamName) ?? 'no_stream';
    const toAppend = events.map((event) => ({ id: randomUUID(), type: event.type, data: event.data, metadata }));
    let delay = RETRY_INITIAL_MS;
    for (;;) {
      try {
        const result = await this.store.appendToStream(streamName, toAppend, { expectedRevision });
        this.storeHealthy = true;
        if (this.lastPosition === null || result.position > this.lastPosition) this.lastPosition = result.position;
        const first = result.nextExpectedRevision - BigInt(events.length - 1);
        const applied = toAppend.map((event, index) => ({
          streamName,
          revision: first + BigInt(index),
          type: event.type,
          data: event.data,
          metadata,
        }));
        for (const event of applied) this.state.apply(event);
        this.announce(applied);
        return applied;
      } catch (error) {
        if (error instanceof WrongExpectedVersion) {
          throw new AppError('conflict', `"${streamName}" was changed by another writer; retry the request`);
        }
        if (!(error instanceof StoreUnavailable)) throw error;
        // Facts already decided are kept and retried until the store is back; callers wait.
        this.storeHealthy = false;
        this.log(`event store unavailable while appending to ${streamName} (${error.message}); retrying in ${delay} ms`);
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, RETRY_MAX_MS);
      }
    }
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
