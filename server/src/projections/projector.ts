import { InvalidPosition, SubscriptionFailed, type EventStore, type RecordedEvent } from '@harborguard/eventstore';
import { modelEventOf, type ModelEvent } from '../domain/model-event.js';
import type { ReadModels } from './read-models.js';
import type { RowChanges } from './records.js';
import type { ReadModelStore } from './read-model-store.js';

export type ChangeListener = (changes: RowChanges, event: ModelEvent) => void;

export interface ProjectorOptions {
  /** How often changed rows and the checkpoint are written while events flow. */
  flushIntervalMs?: number;
  /** Write early when this many events are waiting (while live; catch-up writes in larger steps). */
  flushAfterEvents?: number;
  log?: (line: string) => void;
}

export interface ProjectionStatus {
  position: string | null;
  caughtUp: boolean;
  /** Set when the read models stopped following the log for good, with the reason. */
  failed: string | null;
  /** Time since the newest event applied was written, while events are still waiting. */
  lastEventAt: string | null;
}

const RETRY_MAX_MS = 10_000;
/**
 * Rows serialised per turn of the event loop while live: about a millisecond's work. A contact
 * checkpoint changes every sensor that called in its interval; written at once, a large fleet's
 * rows would hold heartbeats and sensor timers back for hundreds of milliseconds.
 */
const ROWS_PER_SLICE = 500;
/** While live, rows are written once this many changed, so that taking them out stays short too. */
const ROWS_PER_LIVE_WRITE = 5_000;

/**
 * Feeds the read models from a subscription to `$all`, starting after the stored checkpoint,
 * and stores changed rows with the new checkpoint in one transaction. A restart resumes
 * where it stopped; deleting the stored rows rebuilds everything from the log.
 */
export class Projector {
  private readonly controller = new AbortController();
  private readonly listeners: ChangeListener[] = [];
  private waiters: { position: bigint; resolve: () => void }[] = [];
  private pendingEvents = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** A live write of rows in slices (see `flushLive`); events wait until it is handed over. */
  private flushing: Promise<void> | null = null;
  private caughtUp = false;
  /** Why the read models stopped following the log, when an error will not go away by retrying. */
  private failure: string | null = null;
  private lastEventAt: Date | null = null;
  private readonly log: (line: string) => void;

  constructor(
    private readonly store: EventStore,
    private readonly model: ReadModels,
    private readonly persistence: ReadModelStore,
    private readonly options: ProjectorOptions = {},
  ) {
    this.log = options.log ?? (() => {});
  }

  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  get position(): bigint | null {
    return this.model.position;
  }

  status(): ProjectionStatus {
    return { position: this.model.position?.toString() ?? null, caughtUp: this.caughtUp, lastEventAt: this.lastEventAt?.toISOString() ?? null, failed: this.failure };
  }

  /** Loads the stored rows, then catches up with the log; resolves once caught up. */
  async start(): Promise<void> {
    const stored = await this.persistence.loadAsync();
    const [head] = await this.store.readAll({ direction: 'backwards', fromPosition: 'end', maxCount: 1 });
    if (stored.position !== null && (head === undefined || head.position < stored.position)) {
      // Rows ahead of the log belong to another log: rebuild from the start.
      this.log(`read models are ahead of the event log (${stored.position} > ${head?.position ?? 'empty'}); rebuilding`);
      this.persistence.save(stored.records.map(({ kind, record }) => ({ kind, id: (record as { id: string }).id, record: null })), null);
    } else {
      this.model.hydrate(stored.records, stored.position);
    }
    const firstCatchUp = new Promise<void>((resolve, reject) => {
      this.running = this.run(resolve).catch(reject);
    });
    this.flushTimer = setInterval(() => this.writeRows(), this.options.flushIntervalMs ?? 1_000);
    this.flushTimer.unref();
    await firstCatchUp;
  }

  /** Resolves once the read models include the event at `position` (or the timeout passes). */
  waitFor(position: bigint | null, timeoutMs = 2_000): Promise<void> {
    // Stopped read models will not move: answer from what they hold (readiness says they stopped).
    if (position === null || this.failure !== null || (this.model.position !== null && this.model.position >= position)) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = { position, resolve };
      this.waiters.push(waiter);
      setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve();
      }, timeoutMs).unref();
    });
  }

  async stop(): Promise<void> {
    this.controller.abort();
    clearInterval(this.flushTimer);
    await this.running;
    await this.flushing;
    this.flush();
  }

  /** Writes changed rows and the checkpoint together, at once (a write in slices being made finishes first). */
  flush(): void {
    if (this.flushing !== null || (!this.model.hasDirty && this.pendingEvents === 0)) return;
    this.persistence.save(this.model.takeDirty(), this.model.position);
    this.pendingEvents = 0;
  }

  /** Live, rows are written in slices; catching up (nothing else to serve yet), at once. */
  private writeRows(): void {
    if (this.caughtUp) this.flushLive();
    else this.flush();
  }

  /**
   * Writes changed rows and the checkpoint together, a slice of rows per turn of the event loop.
   * No event is applied until every row is handed over (the loops wait for `flushing`), so each
   * row written is as of the checkpoint written with it.
   */
  private flushLive(): void {
    if (this.flushing !== null || (!this.model.hasDirty && this.pendingEvents === 0)) return;
    const rows = this.model.takeDirty();
    this.pendingEvents = 0;
    this.flushing = this.persistence
      .saveInSlices(rows, this.model.position, ROWS_PER_SLICE)
      .catch((error: unknown) => this.log(`writing the read models failed: ${String(error)}`))
      .finally(() => (this.flushing = null));
  }

  /**
   * Catch-up in pages: far fewer asynchronous steps than one per event. Pages stay small because
   * every event of the page in hand is still referenced, so it outlives young-generation collections.
   */
  private async catchUp(): Promise<void> {
    const PAGE = 100;
    for (;;) {
      const from = this.model.position;
      const page = await this.store.readAll({ fromPosition: from ?? 'start', maxCount: PAGE });
      for (const event of page) {
        if (from !== null && event.position <= from) continue;
        if (this.flushing !== null) await this.flushing;
        this.applyEvent(event);
      }
      if (page.length < PAGE || this.controller.signal.aborted) return;
    }
  }

  private applyEvent(event: RecordedEvent): void {
    const modelEvent = modelEventOf(event);
    const changes = this.model.apply(modelEvent);
    this.lastEventAt = event.recordedAt;
    this.release();
    for (const listener of this.listeners) {
      try {
        listener(changes, modelEvent);
      } catch (error) {
        this.log(`read model listener failed on ${event.type}: ${(error as Error).stack ?? String(error)}`);
      }
    }
    // Catching up, rows change many times between writes: write them in large steps.
    const flushAfter = this.caughtUp ? (this.options.flushAfterEvents ?? 10_000) : 250_000;
    if (++this.pendingEvents >= flushAfter || (this.caughtUp && this.model.dirtyCount >= ROWS_PER_LIVE_WRITE)) this.writeRows();
  }

  private async run(onCaughtUp: () => void): Promise<void> {
    let delay = 100;
    while (!this.controller.signal.aborted) {
      try {
        await this.catchUp();
        // The subscription takes over from the last event applied: no gap, no repeat.
        const from = this.model.position ?? 'start';
        for await (const message of this.store.subscribeToAll({ fromPosition: from, signal: this.controller.signal })) {
          if (message.kind === 'caughtUp') {
            this.writeRows();
            if (!this.caughtUp) {
              this.caughtUp = true;
              onCaughtUp();
            }
            continue;
          }
          const event = message.event;
          if (this.model.position !== null && event.position <= this.model.position) continue;
          if (this.flushing !== null) await this.flushing;
          this.applyEvent(event);
          delay = 100;
        }
      } catch (error) {
        if (this.controller.signal.aborted) return;
        if (error instanceof SubscriptionFailed || error instanceof InvalidPosition) {
          // Resubscribing cannot help: stop, say why, and let the service come up to report it.
          this.failure = error.message;
          this.log(`projection subscription stopped: ${error.message}`);
          onCaughtUp();
          return;
        }
        this.log(`projection subscription dropped (${(error as Error).message}); resubscribing in ${delay} ms`);
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, RETRY_MAX_MS);
      }
    }
  }

  private release(): void {
    if (this.waiters.length === 0) return;
    const position = this.model.position!;
    const ready = this.waiters.filter((w) => w.position <= position);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.position > position);
    for (const waiter of ready) waiter.resolve();
  }
}
