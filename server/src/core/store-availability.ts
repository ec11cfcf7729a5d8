import { AppError } from '../domain/errors.js';
import type { Clock } from './clock.js';

/**
 * A request that needed an append while the store was away: 503, with when to try again. The
 * store's own error (file paths, addresses) is for operators, on /readyz and in the log, not for
 * every caller.
 */
export class StoreUnavailableError extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super('unavailable', `The event store is unavailable, so nothing was stored; retry in ${retryAfterSeconds} s`);
  }
}

export interface StoreAvailabilityOptions {
  clock: Clock;
  /** Asks the store whether it answers (not that it takes writes: a kept write is the real test). */
  ping: () => Promise<void>;
  log?: (line: string) => void;
  /** Events the writer may hold for a store that is away before readiness reports it (default 200 000). */
  backlogLimit?: number;
  /** The probe's back-off: first wait, longest wait (default 1 s, 30 s). */
  probeInitialMs?: number;
  probeMaxMs?: number;
}

export const DEFAULT_BACKLOG_LIMIT = 200_000;

interface Outage {
  since: number;
  error: string;
  probes: number;
}

/**
 * Whether the event store takes writes, as the writer last found it, and the way back when it
 * does not: one background probe with back-off instead of every waiting write retrying on its
 * own. When the probe finds the store answering, the oldest kept write goes first as the real
 * test (a store can answer while it still refuses writes, e.g. a full disk); once a write is
 * stored every other kept write follows.
 */
export class StoreAvailability {
  private outage: Outage | null = null;
  private readonly waiting: Array<() => void> = [];
  private readonly outageListeners = new Set<() => void>();
  private probeTimer: unknown = null;
  private nextProbeAt = 0;
  private overLimit = false;
  /** Events handed to the writer and not stored yet: a handful normally, everything kept while the store is away. */
  private held = 0;
  readonly backlogLimit: number;

  constructor(private readonly options: StoreAvailabilityOptions) {
    this.backlogLimit = options.backlogLimit ?? DEFAULT_BACKLOG_LIMIT;
  }

  get available(): boolean {
    return this.outage === null;
  }

  get backlog(): number {
    return this.held;
  }

  get backlogOverLimit(): boolean {
    return this.held > this.backlogLimit;
  }

  /** For readiness: "available", or since when and why not. */
  describe(): string {
    const outage = this.outage;
    return outage === null ? 'available' : `unavailable since ${new Date(outage.since).toISOString()}: ${outage.error}`;
  }

  /** Seconds until the store is tried again (at least 1). */
  retryAfterSeconds(): number {
    return Math.max(1, Math.ceil((this.nextProbeAt - this.options.clock.now()) / 1000));
  }

  refusal(): StoreUnavailableError {
    return new StoreUnavailableError(this.retryAfterSeconds());
  }

  /** Calls `listener` once, when the store is next found away; returns how to stop listening. */
  onOutage(listener: () => void): () => void {
    this.outageListeners.add(listener);
    return () => this.outageListeners.delete(listener);
  }

  hold(events: number): void {
    this.held += events;
    if (this.held > this.backlogLimit && !this.overLimit) {
      this.overLimit = true;
      this.options.log?.(`${this.held} events wait for the event store, over the limit of ${this.backlogLimit}: they are kept (a decided transition is never dropped) and readiness reports it`);
    }
  }

  release(events: number): void {
    this.held -= events;
    if (this.held <= this.backlogLimit) this.overLimit = false;
  }

  /** An append or the probe found the store away. */
  failed(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (this.outage !== null) {
      this.outage.error = message;
      return this.scheduleProbe();
    }
    this.outage = { since: this.options.clock.now(), error: message, probes: 0 };
    this.options.log?.(`event store unavailable: ${message}; appends answer 503, decided transitions are kept until it is back`);
    // Probe first: the callers refused now are told when it runs.
    this.scheduleProbe();
    const listeners = [...this.outageListeners];
    this.outageListeners.clear();
    for (const listener of listeners) listener();
  }

  /** The store answered an append (stored or refused on its merits): it is there. */
  answered(): void {
    const outage = this.outage;
    if (outage === null) return;
    this.outage = null;
    this.stopProbe();
    this.options.log?.(`event store back after ${Math.round((this.options.clock.now() - outage.since) / 1000)} s; writing ${this.held} kept events`);
    for (const resume of this.waiting.splice(0)) resume();
  }

  /** Resolves when a kept write may try: at once while the store is there, else when it is back or this write is the test. */
  turn(): Promise<void> {
    if (this.outage === null) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  stop(): void {
    this.stopProbe();
  }

  private scheduleProbe(): void {
    const outage = this.outage;
    if (outage === null || this.probeTimer !== null) return;
    const initial = this.options.probeInitialMs ?? 1_000;
    const delay = Math.min(this.options.probeMaxMs ?? 30_000, initial * 2 ** Math.min(outage.probes, 20));
    outage.probes += 1;
    this.nextProbeAt = this.options.clock.now() + delay;
    this.probeTimer = this.options.clock.setTimeout(() => {
      this.probeTimer = null;
      void this.probe();
    }, delay);
  }

  private async probe(): Promise<void> {
    try {
      await this.options.ping();
    } catch (error) {
      return this.failed(error);
    }
    if (this.outage === null) return;
    const test = this.waiting.shift();
    // Nothing kept to test writes with: the store answering is taken as back; the next append tells.
    if (test === undefined) return this.answered();
    test();
  }

  private stopProbe(): void {
    if (this.probeTimer !== null) this.options.clock.clearTimeout(this.probeTimer);
    this.probeTimer = null;
  }
}
