import {
  compareSensorKeys,
  matchesSensorFilter,
  sensorMovesInList,
  sensorSortKey,
  type LiveViewChange,
  type LiveViewQuery,
  type SensorListFilter,
  type SensorRow,
  type SensorSortKey,
} from '@harborguard/shared';
import type { ModelEvent } from '../domain/model-event.js';
import type { ReadModels } from './read-models.js';
import type { Sensor, RowChanges } from './records.js';
import type { ReadQueries } from './read-queries.js';

export interface LiveViewOptions {
  /** Rows whose only change is a newer last contact are sent at most this often. */
  contactFlushMs?: number;
  /** Counts, and word that the page changed, when no row on screen changed: sent at most this often. */
  summaryFlushMs?: number;
}

/** One open page view: what it shows, and what is waiting to be sent to it. */
interface View {
  readonly orgId: string;
  readonly filter: SensorListFilter;
  /** The keys the page spans: a change landing between them may belong on it (open ends are unbounded). */
  readonly low: SensorSortKey | undefined;
  readonly high: SensorSortKey | undefined;
  /** Rows on screen as last sent. */
  readonly shown: Map<string, SensorRow>;
  readonly pending: Map<string, SensorRow>;
  /** The page's rows or order may have changed; sent with the next message. */
  stale: boolean;
  summaryChanged: boolean;
  /** Send what is waiting now, rows or not. */
  due: boolean;
  wake: (() => void) | null;
}

interface Entry {
  id: string;
  change: LiveViewChange;
}

/**
 * Live page views for `live.view`: each dashboard page names the rows it shows, and gets only
 * their changes (status at once, a newer last contact at most every `contactFlushMs`), the
 * org's counts, and `stale` when the page's rows or order may have changed (with the counts, at
 * most once per `summaryFlushMs`, unless a row on screen changed). Work per event is
 * bounded by the views of the event's org, never by fleet size.
 */
export class LiveViews {
  private readonly views = new Map<string, Set<View>>();
  private readonly timers: NodeJS.Timeout[];
  private seq = 0;

  constructor(
    private readonly model: ReadModels,
    private readonly queries: ReadQueries,
    options: LiveViewOptions = {},
  ) {
    this.timers = [setInterval(() => this.flushContacts(), options.contactFlushMs ?? 5_000), setInterval(() => this.flushSummaries(), options.summaryFlushMs ?? 1_000)];
    for (const timer of this.timers) timer.unref();
  }

  /** From the projector: rows an event changed. */
  onRowChanges(changes: RowChanges, event: ModelEvent): void {
    if (this.views.size === 0) return;
    const registered = event.type === 'SensorRegistered';
    for (const sensorId of changes.sensors) this.sensorChanged(sensorId, registered);
    for (const sensorId of changes.removedSensors) this.sensorRemoved(sensorId);
  }

  /** Changes for one page view of one org until `signal` aborts; the first message holds every row shown. */
  async *subscribe(orgId: string, input: LiveViewQuery, signal: AbortSignal, stillAllowed: () => void): AsyncGenerator<Entry> {
    const view = this.open(orgId, input);
    const onAbort = () => view.wake?.();
    signal.addEventListener('abort', onAbort);
    const prefix = `${++this.seq}-`;
    let sent = 0;
    try {
      // A requested row that is not there (gone, or not the org's) means the page is out of date;
      // so does a reconnection, which may have missed moves.
      const missing = view.shown.size < new Set(input.sensorIds).size;
      stillAllowed();
      yield { id: prefix + sent++, change: { sensors: [...view.shown.values()], summary: this.model.summary(orgId), stale: missing || Boolean(input.lastEventId) } };
      while (!signal.aborted) {
        if (view.pending.size === 0 && !view.due) {
          await new Promise<void>((resolve) => (view.wake = resolve));
          view.wake = null;
          continue;
        }
        stillAllowed();
        yield { id: prefix + sent++, change: this.take(view) };
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.remove(view);
    }
  }

  close(): void {
    for (const timer of this.timers) clearInterval(timer);
  }

  private remove(view: View): void {
    const views = this.views.get(view.orgId);
    views?.delete(view);
    if (views?.size === 0) this.views.delete(view.orgId);
  }

  private open(orgId: string, input: LiveViewQuery): View {
    const shown = new Map<string, SensorRow>();
    const keys: SensorSortKey[] = [];
    for (const id of input.sensorIds) {
      const sensor = this.model.sensors.live(id);
      if (sensor === undefined || sensor.orgId !== orgId) continue;
      shown.set(id, this.queries.sensorRow(sensor));
      keys.push(sensorSortKey(sensor));
    }
    keys.sort(compareSensorKeys);
    const filter: SensorListFilter = { status: input.status, registryId: input.registryId, search: input.search };
    const view: View = {
      orgId,
      filter,
      low: input.hasPrevious ? keys[0] : undefined,
      high: input.hasNext ? keys.at(-1) : undefined,
      shown,
      pending: new Map(),
      stale: false,
      summaryChanged: false,
      due: false,
      wake: null,
    };
    const views = this.views.get(orgId) ?? new Set<View>();
    this.views.set(orgId, views.add(view));
    return view;
  }

  private take(view: View): LiveViewChange {
    const change = { sensors: [...view.pending.values()], summary: this.model.summary(view.orgId), stale: view.stale };
    view.pending.clear();
    view.stale = false;
    view.summaryChanged = false;
    view.due = false;
    return change;
  }

  private sensorChanged(sensorId: string, registered: boolean): void {
    const sensor = this.model.sensors.live(sensorId);
    const views = sensor && this.views.get(sensor.orgId);
    if (!sensor || !views) return;
    let row: SensorRow | undefined;
    for (const view of views) {
      view.summaryChanged = true;
      const before = view.shown.get(sensorId);
      if (before !== undefined) {
        row ??= this.queries.sensorRow(sensor);
        if (sensorMovesInList(before, row) || !matchesSensorFilter(sensor, view.filter)) view.stale = true;
        view.shown.set(sensorId, row);
        view.pending.set(sensorId, row);
        view.wake?.();
      } else if (matchesSensorFilter(sensor, view.filter) && ((registered && countedByFilter(view)) || inRange(view, sensorSortKey(sensor)))) {
        // Sent with the counts: a busy fleet asks for the page again at most once a tick.
        view.stale = true;
      }
    }
  }

  private sensorRemoved(sensorId: string): void {
    const sensor: Sensor | undefined = this.model.sensors.sensors.get(sensorId);
    const views = sensor && this.views.get(sensor.orgId);
    if (!sensor || !views) return;
    for (const view of views) {
      view.summaryChanged = true;
      if (view.shown.delete(sensorId)) {
        view.stale = view.due = true;
        view.wake?.();
      } else if (countedByFilter(view) && matchesSensorFilter(sensor, view.filter)) view.stale = true;
    }
  }

  /** Rows on screen whose last contact moved on since it was sent, in one batch per view. */
  private flushContacts(): void {
    for (const views of this.views.values()) {
      for (const view of views) {
        for (const [sensorId, shown] of view.shown) {
          const sensor = this.model.sensors.live(sensorId);
          if (sensor === undefined) continue;
          const row = this.queries.sensorRow(sensor);
          if (row.lastHeartbeatAt === shown.lastHeartbeatAt) continue;
          view.shown.set(sensorId, row);
          view.pending.set(sensorId, row);
        }
        if (view.pending.size > 0) view.wake?.();
      }
    }
  }

  private flushSummaries(): void {
    for (const views of this.views.values()) {
      for (const view of views) {
        if (!view.summaryChanged && !view.stale) continue;
        view.due = true;
        view.wake?.();
      }
    }
  }
}

/** Whether the page spans a key: between its first and last rows, open ends unbounded. */
function inRange(view: View, key: SensorSortKey): boolean {
  return (view.low === undefined || compareSensorKeys(key, view.low) >= 0) && (view.high === undefined || compareSensorKeys(key, view.high) <= 0);
}

/**
 * Whether the view's total comes from the page fetch alone: with a search or a registry, the
 * org's counts cannot give it, so any matching sensor that comes or goes makes the page stale.
 */
function countedByFilter(view: View): boolean {
  return Boolean(view.filter.search) || view.filter.registryId !== undefined;
}
