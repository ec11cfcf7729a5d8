/**
 * The event store port. Shaped after EventStoreDB's own model (named streams with
 * revisions, one global `$all` log with positions) so that the EventStoreDB adapter is a
 * thin translation and the embedded adapters behave the same way.
 */

/** Optimistic-concurrency expectation for an append. A bigint is an exact revision. */
export type ExpectedRevision = 'no_stream' | 'stream_exists' | 'any' | bigint;

export type EventMetadata = Record<string, unknown>;

export interface EventToAppend {
  /** Event id (UUID). Generated when absent. */
  id?: string;
  type: string;
  data: unknown;
  metadata?: EventMetadata;
}

export interface RecordedEvent {
  id: string;
  streamName: string;
  /** Zero-based revision of the event within its stream. */
  revision: bigint;
  /** Position in the global `$all` log: unique and strictly increasing in commit order. */
  position: bigint;
  type: string;
  data: unknown;
  metadata: EventMetadata;
  /** The store's timestamp for the event. */
  recordedAt: Date;
}

/**
 * An event as stored, its payloads left as JSON text (what `JSON.stringify` wrote when it was
 * appended): for readers that check or copy the log rather than interpret it.
 */
export interface RawRecordedEvent {
  id: string;
  streamName: string;
  revision: bigint;
  position: bigint;
  type: string;
  /** The data's JSON text. */
  data: string;
  /** The metadata's JSON text. */
  metadata: string;
  /** The store's timestamp for the event, in ms since the epoch. */
  recordedAt: number;
}

export interface AppendOptions {
  expectedRevision?: ExpectedRevision; // default 'any'
}

export interface AppendResult {
  /** Revision of the last event written: pass it as the next expected revision. */
  nextExpectedRevision: bigint;
  /** Global position of the last event written. */
  position: bigint;
}

export type Direction = 'forwards' | 'backwards';

export interface ReadStreamOptions {
  direction?: Direction; // default 'forwards'
  /** Inclusive start revision; 'start' / 'end' by direction. */
  fromRevision?: bigint | 'start' | 'end';
  maxCount?: number; // default: unbounded
}

export interface AllFilter {
  /** Keep events whose stream name starts with one of these prefixes. */
  streamPrefixes?: string[];
  /** Keep events whose type is one of these. */
  eventTypes?: string[];
}

export interface ReadAllOptions {
  direction?: Direction; // default 'forwards'
  /** Inclusive start position; 'start' / 'end' by direction. */
  fromPosition?: bigint | 'start' | 'end';
  maxCount?: number; // default 1000
  filter?: AllFilter;
}

export interface SubscribeToAllOptions {
  /** Checkpoint: the position of the last event already processed (exclusive), or 'start'. */
  fromPosition?: bigint | 'start';
  filter?: AllFilter;
  /** Aborting ends the iteration cleanly. */
  signal?: AbortSignal;
}

export type SubscriptionMessage =
  | { kind: 'event'; event: RecordedEvent }
  /** Emitted once, when the subscription has delivered everything committed when it caught up. */
  | { kind: 'caughtUp'; position: bigint | null };

export interface EventStore {
  appendToStream(streamName: string, events: EventToAppend[], options?: AppendOptions): Promise<AppendResult>;
  /** Events of one stream. A stream that does not exist reads as empty. */
  readStream(streamName: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** A page of the global log. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /**
   * The same page as `readAll`, payloads as JSON text. The embedded stores hand over the text they
   * keep, read in the caller's thread without parsing; other stores may serialise what they read.
   * Optional so that any store can stand in: `readAllRaw(store, options)` falls back to `readAll`.
   */
  readAllRaw?(options?: ReadAllOptions): Promise<RawRecordedEvent[]>;
  /** Catch up from a checkpoint, then follow live, in order, each event exactly once. */
  subscribeToAll(options?: SubscribeToAllOptions): AsyncIterable<SubscriptionMessage>;
  /** Resolves when the store can serve requests (used by readiness checks). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
