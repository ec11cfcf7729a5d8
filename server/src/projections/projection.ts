import type { EventData, EventType } from '@harborguard/shared';
import type { ModelEvent } from '../domain/model-event.js';
import type { RecordKind, RowChanges, StoredRecord } from './records.js';

/** What a projection's `evolve` may use besides its own state. */
export interface ProjectionContext {
  /** Sensor rows the current event changed (cleared before each event). */
  readonly changes: RowChanges;
  /** Marks a record as changed, to be stored with the next checkpoint. */
  touch(kind: RecordKind, id: string): void;
  /**
   * The same string for the same timestamp as the previous call: the events of one command share
   * their time, and records holding one copy of it keep the read models smaller.
   */
  time(value: string): string;
}

type Evolve<S, T extends EventType> = (state: S, data: EventData<T>, event: ModelEvent, context: ProjectionContext) => void;

/** One `evolve` per event type the projection handles; the keys are its `canHandle`. */
export type Evolvers<S> = { [T in EventType]?: Evolve<S, T> };

/**
 * A named read model: the event types it handles, its initial state, and how each event evolves
 * that state. States are changed in place (a rebuild applies every event of the log) and only
 * through `evolve` and `load`, so a state rebuilt from the log equals the live one.
 */
export interface Projection<S> {
  readonly name: string;
  readonly canHandle: readonly EventType[];
  readonly state: S;
  /** Applies one event of a type in `canHandle` to the state. */
  evolverOf(type: EventType): ((event: ModelEvent, context: ProjectionContext) => void) | undefined;
  /** Rebuilds the state, indexes included, from stored records (all kinds; it picks its own). */
  load(records: readonly StoredRecord[]): void;
}

export function defineProjection<S>(definition: {
  name: string;
  initialState: S;
  evolve: Evolvers<S>;
  load: (state: S, records: readonly StoredRecord[]) => void;
}): Projection<S> {
  const { name, initialState: state, evolve, load } = definition;
  const handlers = evolve as Record<string, Evolve<S, EventType> | undefined>;
  return {
    name,
    canHandle: Object.keys(evolve) as EventType[],
    state,
    evolverOf: (type) => {
      const handler = handlers[type];
      return handler && ((event, context) => handler(state, event.data as never, event, context));
    },
    load: (records) => load(state, records),
  };
}

type Apply = (event: ModelEvent, context: ProjectionContext) => void;

/** Hands each event only to the projections whose `canHandle` lists its type, in registration order. */
export class ProjectionRegistry {
  private readonly byType = new Map<string, Apply[]>();
  private readonly all: Projection<unknown>[] = [];

  register<S>(projection: Projection<S>): Projection<S> {
    this.all.push(projection as Projection<unknown>);
    for (const type of projection.canHandle) {
      const handlers = this.byType.get(type) ?? [];
      this.byType.set(type, [...handlers, projection.evolverOf(type)!]);
    }
    return projection;
  }

  get projections(): readonly Projection<unknown>[] {
    return this.all;
  }

  apply(event: ModelEvent, context: ProjectionContext): void {
    const handlers = this.byType.get(event.type);
    if (handlers === undefined) return;
    for (let i = 0; i < handlers.length; i++) handlers[i]!(event, context);
  }

  load(records: readonly StoredRecord[]): void {
    for (const projection of this.all) projection.load(records);
  }
}
