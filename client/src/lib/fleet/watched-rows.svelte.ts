import type { SensorRow } from '@harborguard/shared';
import type { Subscription } from '$lib/api/api';
import type { LiveFleet } from './live-fleet.svelte';

/** At most this many sensors are watched at once (what one live view admits). */
const MAX_WATCHED = 500;

/**
 * A few sensors a page mentions (a detail page's sensor, a registry's bound sensors), kept live:
 * their current rows by id, nothing else.
 */
export class WatchedRows {
  rows = $state.raw(new Map<string, SensorRow>());
  #view: Subscription | null = null;
  #watching = '';

  constructor(private readonly fleet: LiveFleet) {}

  get(id: string): SensorRow | undefined {
    return this.rows.get(id);
  }

  /** Watches these sensors instead of those watched so far. */
  watch(ids: Iterable<string>): void {
    const wanted = [...new Set(ids)].slice(0, MAX_WATCHED);
    const key = wanted.join('\n');
    if (key === this.#watching) return;
    this.stop();
    this.#watching = key;
    if (wanted.length === 0) return;
    // Bounded on both sides, the view only speaks of changes among these rows.
    this.#view = this.fleet.watch({ sensorIds: wanted, hasPrevious: true, hasNext: true }, (change) => {
      if (change.sensors.length === 0) return;
      const rows = new Map(this.rows);
      for (const row of change.sensors) rows.set(row.id, row);
      this.rows = rows;
    });
  }

  /** Forgets a sensor (deleted here): it is no longer shown as known. */
  forget(id: string): void {
    if (!this.rows.has(id)) return;
    const rows = new Map(this.rows);
    rows.delete(id);
    this.rows = rows;
  }

  stop(): void {
    this.#view?.unsubscribe();
    this.#view = null;
    this.#watching = '';
    this.rows = new Map();
  }
}
