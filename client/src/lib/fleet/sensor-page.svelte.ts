import type { SensorListPage, SensorRow } from '@harborguard/shared';
import type { Api, Subscription } from '$lib/api/api';
import { errorMessage } from '$lib/api/errors';
import { pageOutdated, withChanges, type SensorQuery } from './fleet';
import type { LiveFleet } from './live-fleet.svelte';

/** A page said to be out of date is fetched again this long after the first signal (signals in between join it). */
const REFETCH_AFTER_MS = 700;

/**
 * One page of the sensor list as the server orders, filters and pages it, kept live: after
 * each fetch it watches exactly the rows it shows, swaps in their changes, and fetches the
 * page again (debounced) when the server says the page may have changed.
 */
export class SensorPage {
  rows = $state.raw<SensorRow[]>([]);
  /** Rows matching the filter in all, as of the last fetch. */
  total = $state(0);
  next = $state<string | null>(null);
  prev = $state<string | null>(null);
  loaded = $state(false);
  error = $state<string | null>(null);

  #query: SensorQuery = {};
  #view: Subscription | null = null;
  #refetch: ReturnType<typeof setTimeout> | null = null;
  #generation = 0;

  constructor(
    private readonly api: Api,
    private readonly fleet: LiveFleet,
    readonly pageSize = 50,
  ) {}

  /** Shows the page a query names: fetches it, then watches its rows. */
  show(query: SensorQuery): Promise<void> {
    this.#query = query;
    return this.reload();
  }

  /** Fetches the current query's page again. */
  async reload(): Promise<void> {
    const generation = ++this.#generation;
    const { status, registryId, search, cursor, before } = this.#query;
    try {
      const page = await this.api.listSensors({
        limit: this.pageSize,
        ...(status ? { status } : {}),
        ...(registryId ? { registryId } : {}),
        ...(search ? { search } : {}),
        ...(cursor ? { cursor } : before ? { before } : {}),
      });
      // A newer fetch started meanwhile: its answer is the one to show.
      if (generation !== this.#generation) return;
      this.rows = page.items;
      this.total = page.total;
      this.next = page.next;
      this.prev = page.prev;
      this.loaded = true;
      this.error = null;
      this.#watch(page);
    } catch (e) {
      if (generation === this.#generation) this.error = errorMessage(e);
    }
  }

  /** Rows matching in all: the live counts when the filter is at most a status, else the fetched total. */
  get matching(): number {
    const { status, registryId, search } = this.#query;
    if (registryId || search) return this.total;
    return status ? this.fleet.summary[status] : this.fleet.summary.total;
  }

  stop(): void {
    this.#generation++;
    this.#view?.unsubscribe();
    this.#view = null;
    if (this.#refetch) clearTimeout(this.#refetch);
    this.#refetch = null;
  }

  #watch(page: SensorListPage): void {
    this.#view?.unsubscribe();
    const { status, registryId, search } = this.#query;
    let first = true;
    this.#view = this.fleet.watch(
      {
        sensorIds: page.items.map((row) => row.id),
        ...(status ? { status } : {}),
        ...(registryId ? { registryId } : {}),
        ...(search ? { search } : {}),
        hasPrevious: page.prev !== null,
        hasNext: page.next !== null,
      },
      (change) => {
        // The first message holds the rows as they are now: they may have moved since the fetch.
        const outdated = change.stale || (first && pageOutdated(page.items, change.sensors));
        first = false;
        if (change.sensors.length > 0) this.rows = withChanges(this.rows, change.sensors);
        if (outdated) this.#refetchSoon();
      },
    );
  }

  #refetchSoon(): void {
    if (this.#refetch !== null) return;
    this.#refetch = setTimeout(() => {
      this.#refetch = null;
      void this.reload();
    }, REFETCH_AFTER_MS);
  }
}
