import { compareSensors, type FleetChange, type FleetSummary, type SensorRow } from '@harborguard/shared';
import type { Api, Subscription } from '$lib/api/api';
import { errorMessage } from '$lib/api/errors';
import { mergeChanges, summarize } from './fleet';

/** How the live connection is doing, for the banner. */
export type LiveState = 'connecting' | 'live' | 'lost' | 'restored';

const PAGE_SIZE = 500;
const FLUSH_MS = 100;

/**
 * Every sensor of the org, kept current: the full list once, then the `live.fleet`
 * subscription's changes merged in, in batches (so 10 000 sensors stay smooth).
 */
export class LiveFleet {
  /** Every known sensor in list order (`compareSensors`: offline first, then by name); replaced on each batch. */
  sensors = $state.raw<SensorRow[]>([]);
  summary = $state.raw<FleetSummary>({ total: 0, online: 0, scanning: 0, offline: 0, sharedHosts: 0 });
  loaded = $state(false);
  loadError = $state<string | null>(null);
  liveError = $state<string | null>(null);
  live = $state<LiveState>('connecting');

  #rows = new Map<string, SensorRow>();
  #byId = $state.raw(new Map<string, SensorRow>());
  #pending: FleetChange[] = [];
  #flushTimer: ReturnType<typeof setTimeout> | null = null;
  #restoredTimer: ReturnType<typeof setTimeout> | null = null;
  #subscription: Subscription | null = null;
  #everOpen = false;
  #fallbackTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly api: Api) {}

  get(id: string): SensorRow | undefined {
    return this.#byId.get(id);
  }

  /**
   * Subscribes, and once the subscription runs loads the whole list (so no change falls
   * between the two); changes that arrive meanwhile wait and apply on top. After a
   * reconnection the subscription resumes where it was, so there is nothing to reload.
   */
  start(): void {
    let first = true;
    this.#subscription = this.api.liveFleet({
      onData: (_id, change) => this.#receive(change),
      onError: (error) => (this.liveError = errorMessage(error)),
      onStarted: () => {
        this.liveError = null;
        if (first) void this.reload();
        first = false;
      },
    });
    // Should the subscription never start (an old server, a proxy without WebSockets), the
    // list still shows, just not live.
    this.#fallbackTimer = setTimeout(() => {
      if (first && !this.loaded) void this.reload();
    }, 3000);
  }

  async reload(): Promise<void> {
    this.loadError = null;
    try {
      const rows = new Map<string, SensorRow>();
      let cursor: string | undefined;
      do {
        const page = await this.api.listSensors({ limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) });
        for (const sensor of page.items) rows.set(sensor.id, sensor);
        cursor = page.next ?? undefined;
      } while (cursor);
      this.#rows = rows;
      this.sensors = [...rows.values()].sort(compareSensors);
      this.loaded = true;
      this.#flush(true);
    } catch (error) {
      this.loadError = errorMessage(error);
    }
  }

  /** Called by the connection: the WebSocket is up. */
  connectionOpened(): void {
    if (this.#everOpen && this.live === 'lost') {
      this.live = 'restored';
      if (this.#restoredTimer) clearTimeout(this.#restoredTimer);
      this.#restoredTimer = setTimeout(() => {
        if (this.live === 'restored') this.live = 'live';
      }, 6000);
    } else {
      this.live = 'live';
    }
    this.#everOpen = true;
  }

  /** Called by the connection: the WebSocket dropped (it reconnects by itself). */
  connectionClosed(): void {
    if (this.#everOpen) this.live = 'lost';
  }

  /** Applies a local change at once (e.g. after a mutation this client made). */
  apply(change: FleetChange): void {
    this.#pending.push(change);
    this.#flush(true);
  }

  stop(): void {
    this.#subscription?.unsubscribe();
    this.#subscription = null;
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    if (this.#restoredTimer) clearTimeout(this.#restoredTimer);
    if (this.#fallbackTimer) clearTimeout(this.#fallbackTimer);
  }

  #receive(change: FleetChange): void {
    this.#pending.push(change);
    if (change.kind === 'reset') this.loaded = true;
    if (this.#flushTimer === null) this.#flushTimer = setTimeout(() => this.#flush(false), FLUSH_MS);
  }

  #flush(force: boolean): void {
    if (this.#flushTimer !== null) {
      clearTimeout(this.#flushTimer);
      this.#flushTimer = null;
    }
    // Until the list has loaded, changes wait: they are newer than it, so they go on top.
    if (!this.loaded && !this.#pending.some((c) => c.kind === 'reset')) return;
    if (this.#pending.length === 0 && !force) return;
    this.sensors = mergeChanges(this.#rows, this.sensors, this.#pending.splice(0));
    this.#byId = new Map(this.#rows);
    // The whole fleet is here, so its counts are exactly what the table shows.
    this.summary = summarize(this.sensors);
  }
}
