/** Failures a test can make the EventStoreDB stand-in produce (a test double; see index.ts). */

/**
 * What the stand-in does with one append instead of answering normally:
 * - `not-ready`: refuses it as a starting node or a follower does ("Server Is Not Ready");
 * - `busy`: refuses it as an overloaded node does ("Server Is Busy");
 * - `drop`: the connection drops before anything is written;
 * - `commit-then-drop`: the events are written, then the connection drops before the reply.
 */
export type AppendFault = 'not-ready' | 'busy' | 'drop' | 'commit-then-drop';

/** Faults queued for the next appends, one per append, in order; and a count of appends seen. */
export class AppendFaults {
  readonly #queue: AppendFault[] = [];
  received = 0;

  add(faults: AppendFault[]): void {
    this.#queue.push(...faults);
  }

  /** Counts the append and returns the fault it must suffer, if any. */
  next(): AppendFault | undefined {
    this.received += 1;
    return this.#queue.shift();
  }
}

/** What a client sees when a node's connection goes away under a call. */
export const CONNECTION_DROPPED = { code: 14 /* UNAVAILABLE */, details: 'Connection dropped' };
