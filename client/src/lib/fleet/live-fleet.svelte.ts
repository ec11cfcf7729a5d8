import type { FleetSummary, LiveViewChange, LiveViewInput } from '@harborguard/shared';
import type { Api, Subscription } from '$lib/api/api';
import { errorMessage } from '$lib/api/errors';

/** How the live connection is doing, for the banner. */
export type LiveState = 'connecting' | 'live' | 'lost' | 'restored';

const NO_SENSORS: FleetSummary = { total: 0, online: 0, scanning: 0, offline: 0, sharedHosts: 0 };

/**
 * The dashboard's live side, none of it sized by the fleet: how the connection is doing, the
 * org's counts, and live views of the rows a page shows (`watch`). No page holds more sensors
 * than it shows.
 */
export class LiveFleet {
  /** The org's counts: fetched at start, then as every live view reports them. */
  summary = $state.raw<FleetSummary>(NO_SENSORS);
  liveError = $state<string | null>(null);
  live = $state<LiveState>('connecting');

  #restoredTimer: ReturnType<typeof setTimeout> | null = null;
  #everOpen = false;

  constructor(private readonly api: Api) {}

  start(): void {
    void this.refreshSummary();
  }

  async refreshSummary(): Promise<void> {
    try {
      this.summary = await this.api.fleetSummary();
    } catch {
      // The counts catch up with the first live message.
    }
  }

  /**
   * Watches the rows a page shows: `onChange` gets each message (the rows first, then their
   * changes); the counts follow along. A page that changes its rows watches again.
   */
  watch(input: LiveViewInput, onChange: (change: LiveViewChange) => void): Subscription {
    return this.api.liveView(input, {
      onData: (change) => {
        this.liveError = null;
        this.summary = change.summary;
        onChange(change);
      },
      onError: (error) => (this.liveError = errorMessage(error)),
    });
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

  stop(): void {
    if (this.#restoredTimer) clearTimeout(this.#restoredTimer);
  }
}
