import type { DomainEvent } from '@harborguard/shared';

/** An event as a decider's `evolve` sees it once stored: its data and the server time it happened. */
export type Evolving<E extends DomainEvent = DomainEvent> = E & { metadata: { occurredAt: string } };

/**
 * The rules of one kind of stream. `decide` answers a command with the events it causes (none
 * when it changes nothing) or throws an `AppError` saying why not; `evolve` folds stored events
 * into the state the next decision sees. Both are pure: time and ids come in the command.
 */
export interface Decider<State, Command, Event extends DomainEvent = DomainEvent> {
  readonly initialState: () => State;
  readonly evolve: (state: State, event: Evolving<Event>) => State;
  readonly decide: (command: Command, state: State) => Event[];
}

/** Events of the given types. */
export type EventsOf<T extends DomainEvent['type']> = Extract<DomainEvent, { type: T }>;
