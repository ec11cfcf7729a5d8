import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  type AppendExpectedRevision,
  type EventData,
  type ReadPosition,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { EventStoreError, StoreUnavailable, WrongExpectedVersion } from '../errors.js';
import type {
  AppendOptions,
  AppendResult,
  Direction,
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
import { isSystemEvent, matchesFilter, toEventData, toRecordedEvent } from './convert.js';
import { rawOf } from '../raw-event.js';
import { toEsdbPosition } from './positions.js';
import { attemptsExhausted, backoffDelay, DEFAULT_APPEND_RETRY, DEFAULT_RETRY, sleep, type RetryOptions } from './retry.js';
import { followAll } from './subscription.js';
import { translateAppendError, translateError } from './translate-error.js';

export interface EsdbConnectOptions {
  /** Receives one line per connection attempt and per subscription drop. */
  log?: (line: string) => void;
  /** Back-off for connecting at start-up and for resubscribing. */
  retry?: Partial<RetryOptions>;
  /**
   * Back-off for an append the server could not take (not ready, busy, connection lost). Each
   * attempt resends the same events with the same ids, so one the server already stored is not
   * stored twice. Default: 3 attempts from 100 ms; then StoreUnavailable reaches the caller.
   */
  appendRetry?: Partial<RetryOptions>;
  /** Aborts connecting. */
  signal?: AbortSignal;
  /** How long `ping` (and each connection attempt) may take. Default 5 s. */
  pingTimeoutMs?: number;
}

/** Events fetched per `$all` page when events may be skipped (system events, the port's filter). */
const ALL_PAGE_SIZE = 512;
/** A few extra events per page spare round trips when the newest records are the server's own. */
const MIN_PAGE_SIZE = 32;

/** The event store port on EventStoreDB, over gRPC with `@eventstore/db-client`. */
export class EsdbEventStore implements EventStore {
  readonly #client: EventStoreDBClient;
  readonly #retry: RetryOptions;
  readonly #appendRetry: RetryOptions;
  readonly #log: (line: string) => void;
  readonly #pingTimeoutMs: number;
  readonly #closing = new AbortController();

  private constructor(client: EventStoreDBClient, retry: RetryOptions, appendRetry: RetryOptions, log: (line: string) => void, pingTimeoutMs: number) {
    this.#client = client;
    this.#retry = retry;
    this.#appendRetry = appendRetry;
    this.#log = log;
    this.#pingTimeoutMs = pingTimeoutMs;
  }

  /**
   * Connects and waits until the server answers, retrying with back-off while it is unreachable
   * (one log line per attempt) until it answers, `signal` aborts or `retry.maxAttempts` is reached.
   */
  static async connect(connectionString: string, options: EsdbConnectOptions = {}): Promise<EsdbEventStore> {
    const log = options.log ?? (() => undefined);
    const retry: RetryOptions = { ...DEFAULT_RETRY, ...options.retry };
    const target = redact(connectionString);
    let client: EventStoreDBClient;
    try {
      client = EventStoreDBClient.connectionString(connectionString);
    } catch (error) {
      throw new EventStoreError(`Invalid EventStoreDB connection string ${target}: ${(error as Error).message}`, { cause: error });
    }
    const appendRetry: RetryOptions = { ...DEFAULT_APPEND_RETRY, ...options.appendRetry };
    const store = new EsdbEventStore(client, retry, appendRetry, log, options.pingTimeoutMs ?? 5_000);
    for (let attempt = 1; ; attempt++) {
      if (options.signal?.aborted) {
        await store.close();
        throw new StoreUnavailable(`Connecting to EventStoreDB at ${target} was aborted`, { cause: options.signal.reason });
      }
      try {
        await store.ping();
        log(`EventStoreDB reachable at ${target} (attempt ${attempt})`);
        return store;
      } catch (error) {
        const reason = (error as Error).message;
        if (!(error instanceof StoreUnavailable) || attemptsExhausted(retry, attempt)) {
          log(`EventStoreDB not reachable at ${target} (attempt ${attempt}): ${reason}; giving up`);
          await store.close();
          throw error;
        }
        const delay = backoffDelay(retry, attempt);
        log(`EventStoreDB not reachable at ${target} (attempt ${attempt}): ${reason}; retrying in ${delay} ms`);
        await sleep(delay, options.signal);
      }
    }
  }

  async appendToStream(streamName: string, events: EventToAppend[], options: AppendOptions = {}): Promise<AppendResult> {
    this.#assertOpen();
    if (events.length === 0) throw new EventStoreError(`Append to "${streamName}" has no events`);
    const expected = options.expectedRevision ?? 'any';
    // Ids are fixed once, here: every attempt below sends the same events.
    const eventData = events.map(toEventData);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#appendOnce(streamName, eventData, expected);
      } catch (error) {
        if (!(error instanceof StoreUnavailable) || attemptsExhausted(this.#appendRetry, attempt) || this.#closing.signal.aborted) throw error;
        const delay = backoffDelay(this.#appendRetry, attempt);
        this.#log(`EventStoreDB did not take the append to "${streamName}" (${error.message}); retrying in ${delay} ms`);
        await sleep(delay, this.#closing.signal);
        this.#assertOpen();
      }
    }
  }

  async #appendOnce(streamName: string, eventData: EventData[], expected: ExpectedRevision): Promise<AppendResult> {
    try {
      const result = await this.#client.appendToStream(streamName, eventData, { expectedRevision: toAppendExpectedRevision(expected) });
      // The server reports the last written event's own position as the commit position (see positions.ts).
      if (!result.position) throw new EventStoreError(`EventStoreDB reported no position for the append to "${streamName}"`);
      return { nextExpectedRevision: result.nextExpectedRevision, position: result.position.commit };
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        throw new WrongExpectedVersion(streamName, expected, error.actualVersion);
      }
      throw translateAppendError(error, streamName);
    }
  }

  async readStream(streamName: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.#assertOpen();
    const direction = options.direction ?? 'forwards';
    const maxCount = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    if (maxCount <= 0) return [];
    const fromRevision = options.fromRevision ?? (direction === 'forwards' ? 'start' : 'end');
    try {
      const read = this.#client.readStream(streamName, {
        direction: toDriverDirection(direction),
        fromRevision: fromRevision === 'start' ? START : fromRevision === 'end' ? END : fromRevision,
        maxCount: Math.min(maxCount, Number.MAX_SAFE_INTEGER),
      });
      const events: RecordedEvent[] = [];
      for await (const resolved of read) events.push(toRecordedEvent(resolved));
      return events;
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw translateError(error, `read of "${streamName}"`);
    }
  }

  /** `readAll` with payloads serialised again: the driver parses every event it reads. */
  async readAllRaw(options: ReadAllOptions = {}): Promise<RawRecordedEvent[]> {
    return (await this.readAll(options)).map(rawOf);
  }

  /**
   * Reads a page of `$all`. The driver (6.x) has no server-side filters for reads, so system events
   * and the port's filter are applied here, reading further pages until `maxCount` events matched or
   * the log ends. Each page restarts at the last event examined, which is skipped.
   */
  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.#assertOpen();
    const direction = options.direction ?? 'forwards';
    const maxCount = options.maxCount ?? 1000;
    const from = options.fromPosition ?? (direction === 'forwards' ? 'start' : 'end');
    const keep = (event: RecordedEvent) => !isSystemEvent(event.streamName, event.type) && matchesFilter(options.filter, event);
    const out: RecordedEvent[] = [];
    if (maxCount <= 0) return out;
    try {
      if (typeof from === 'bigint' && direction === 'backwards') {
        // The server reads backwards from a position exclusively (an event's position is where its
        // record starts); the port's start is inclusive, so fetch the event at `from` itself first.
        const [atStart] = await this.#readAllPage(toEsdbPosition(from), 'forwards', 1);
        if (atStart && atStart.position === from && keep(atStart)) out.push(atStart);
      }
      let cursor: ReadPosition = from === 'start' ? START : from === 'end' ? END : toEsdbPosition(from);
      let last: bigint | null = null;
      while (out.length < maxCount) {
        const pageSize = Math.min(Math.max(maxCount - out.length + 1, MIN_PAGE_SIZE), ALL_PAGE_SIZE);
        const page = await this.#readAllPage(cursor, direction, pageSize);
        for (const event of page) {
          const seen = last !== null && (direction === 'forwards' ? event.position <= last : event.position >= last);
          if (seen) continue;
          last = event.position;
          if (keep(event) && out.length < maxCount) out.push(event);
        }
        if (page.length < pageSize || last === null) break;
        cursor = toEsdbPosition(last);
      }
      return out;
    } catch (error) {
      // Pages after the first start at events just read; only the caller's position can be refused.
      throw translateError(error, 'read of $all', typeof from === 'bigint' ? from : undefined);
    }
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): AsyncIterable<SubscriptionMessage> {
    this.#assertOpen();
    return followAll({ client: this.#client, retry: this.#retry, log: this.#log, closed: this.#closing.signal }, options);
  }

  /** Reads the last event of `$all`: cheap, and proves the credentials may read `$all`. */
  async ping(): Promise<void> {
    this.#assertOpen();
    const read = this.#client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        void read.cancel();
        reject(new StoreUnavailable(`EventStoreDB did not answer within ${this.#pingTimeoutMs} ms`));
      }, this.#pingTimeoutMs);
    });
    try {
      await Promise.race([drain(read), timeout]);
    } catch (error) {
      throw translateError(error, 'ping');
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends every subscription (their iterations finish) and releases the driver's streams. */
  async close(): Promise<void> {
    if (this.#closing.signal.aborted) return;
    this.#closing.abort();
    await this.#client.dispose();
  }

  async #readAllPage(fromPosition: ReadPosition, direction: Direction, maxCount: number): Promise<RecordedEvent[]> {
    const read = this.#client.readAll({ direction: toDriverDirection(direction), fromPosition, maxCount });
    const events: RecordedEvent[] = [];
    for await (const resolved of read) events.push(toRecordedEvent(resolved as ResolvedEvent));
    return events;
  }

  #assertOpen(): void {
    if (this.#closing.signal.aborted) throw new StoreUnavailable('The EventStoreDB event store is closed');
  }
}

async function drain(iterable: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of iterable) {
    // only completion matters
  }
}

function toDriverDirection(direction: Direction): typeof FORWARDS | typeof BACKWARDS {
  return direction === 'forwards' ? FORWARDS : BACKWARDS;
}

function toAppendExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  // The port's names are EventStoreDB's own: 'no_stream' | 'stream_exists' | 'any' | exact revision.
  return expected;
}

/** Connection strings may carry credentials; logs must not. */
export function redact(connectionString: string): string {
  return connectionString.replace(/\/\/[^@/]*@/, '//***@');
}
