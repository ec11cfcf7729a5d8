import { StoreUnavailable } from '../errors.js';
import type { AppendOptions, AppendResult, EventStore, EventToAppend, ReadAllOptions, ReadStreamOptions, RecordedEvent, SubscribeToAllOptions, SubscriptionMessage } from '../port.js';

/**
 * A store that refuses writes on demand, as an adapter does when its store is away: every append
 * fails with the error given (e.g. the SQLite adapter's translation of SQLITE_FULL), and pings
 * too while the store is `unreachable`. Reads pass through. For tests of how the service rides
 * out an outage.
 */
export class RefusingStore implements EventStore {
  private refusal: (() => StoreUnavailable) | null = null;
  /** Pings fail too, as when the store cannot be reached at all (a full disk still answers them). */
  unreachable = false;
  /** Appends tried while writes were refused. */
  refusedAppends = 0;

  constructor(private readonly inner: EventStore) {}

  /** From now on appends fail with what `refusal` makes. */
  refuseWrites(refusal: () => StoreUnavailable): void {
    this.refusal = refusal;
  }

  takeWrites(): void {
    this.refusal = null;
    this.unreachable = false;
  }

  appendToStream(streamName: string, events: EventToAppend[], options?: AppendOptions): Promise<AppendResult> {
    if (this.refusal === null) return this.inner.appendToStream(streamName, events, options);
    this.refusedAppends += 1;
    return Promise.reject(this.refusal());
  }

  readStream(streamName: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    return this.inner.readStream(streamName, options);
  }

  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    return this.inner.readAll(options);
  }

  subscribeToAll(options?: SubscribeToAllOptions): AsyncIterable<SubscriptionMessage> {
    return this.inner.subscribeToAll(options);
  }

  ping(): Promise<void> {
    return this.unreachable && this.refusal !== null ? Promise.reject(this.refusal()) : this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
