import type { FleetChange } from '@harborguard/shared';
import type { ModelEvent } from '../domain/model-event.js';
import type { ReadModels } from './read-models.js';
import type { RowChanges } from './records.js';
import type { ReadQueries } from './read-queries.js';

interface Entry {
  id: string;
  orgId: string;
  change: FleetChange;
}

export interface LiveFeedOptions {
  /** Changes kept for clients that reconnect. */
  bufferSize?: number;
  /** Heartbeats that change nothing else are sent at most this often per sensor. */
  contactFlushMs?: number;
  /** How long an org stays watched after its last subscriber left, so a reconnect can resume exactly. */
  resumeWindowMs?: number;
}

/**
 * Sensor row changes for `live.fleet`, in order, each with an id a reconnecting client can
 * resume from: `<position of the last event applied>-<sequence>`. Changes still in the buffer
 * are replayed exactly; a client too far behind gets the whole fleet once, then live.
 */
export class LiveFeed {
  private seq = 0;
  private readonly buffer: Entry[] = [];
  private readonly listeners = new Set<(entry: Entry) => void>();
  /** Orgs someone watches (or watched moments ago): no work is done for the others. */
  private readonly watched = new Map<string, number>();
  private readonly unwatchTimers = new Map<string, NodeJS.Timeout>();
  /** Per org, the last sequence number before changes stopped being recorded for it. */
  private readonly gaps = new Map<string, number>();
  private readonly resumeWindowMs: number;
  private readonly pendingContacts = new Map<string, string>();
  private readonly timer: NodeJS.Timeout;
  private readonly bufferSize: number;

  constructor(
    private readonly model: ReadModels,
    private readonly queries: ReadQueries,
    options: LiveFeedOptions = {},
  ) {
    this.bufferSize = options.bufferSize ?? 10_000;
    this.resumeWindowMs = options.resumeWindowMs ?? 5 * 60_000;
    this.timer = setInterval(() => this.flushContacts(), options.contactFlushMs ?? 1_000);
    this.timer.unref();
  }

  /** From the projector: rows an event changed. */
  onRowChanges(changes: RowChanges, event: ModelEvent): void {
    for (const sensorId of changes.sensors) {
      const sensor = this.model.sensors.sensors.get(sensorId);
      if (sensor && this.watched.has(sensor.orgId)) {
        this.pendingContacts.delete(sensorId);
        this.publish(sensor.orgId, { kind: 'sensor', sensor: this.queries.sensorRow(sensor), summary: this.model.summary(sensor.orgId) });
      }
    }
    const orgId = String(event.metadata['orgId']);
    if (!this.watched.has(orgId)) return;
    for (const sensorId of changes.removedSensors) this.publish(orgId, { kind: 'removed', sensorId, summary: this.model.summary(orgId) });
  }

  /** From the supervisor: a request that changed nothing but the sensor's last contact. */
  onContact(sensorId: string): void {
    if (this.watched.size === 0) return;
    const orgId = this.model.sensors.sensors.get(sensorId)?.orgId;
    if (orgId !== undefined && this.watched.has(orgId)) this.pendingContacts.set(sensorId, orgId);
  }

  /**
   * Changes for one org, from after `lastEventId` when given (replayed, or a reset when it is
   * too old), then live until `signal` aborts.
   */
  async *subscribe(orgId: string, lastEventId: string | null | undefined, signal: AbortSignal, stillAllowed: () => void): AsyncGenerator<Entry> {
    const queue: Entry[] = [];
    let wake: (() => void) | null = null;
    const listener = (entry: Entry) => {
      if (entry.orgId !== orgId) return;
      queue.push(entry);
      wake?.();
    };
    this.listeners.add(listener);
    this.watch(orgId);
    const onAbort = () => wake?.();
    signal.addEventListener('abort', onAbort);
    try {
      if (lastEventId) {
        const index = this.buffer.findIndex((entry) => entry.id === lastEventId);
        const missedSomething = index < 0 || sequenceOf(lastEventId) <= (this.gaps.get(orgId) ?? -1);
        if (missedSomething) queue.unshift(this.resetEntry(orgId));
        else queue.unshift(...this.buffer.slice(index + 1).filter((entry) => entry.orgId === orgId));
      }
      while (!signal.aborted) {
        const entry = queue.shift();
        if (entry === undefined) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = null;
          continue;
        }
        stillAllowed();
        yield entry;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.listeners.delete(listener);
      this.unwatch(orgId);
    }
  }

  close(): void {
    clearInterval(this.timer);
    for (const timer of this.unwatchTimers.values()) clearTimeout(timer);
  }

  private watch(orgId: string): void {
    clearTimeout(this.unwatchTimers.get(orgId));
    this.unwatchTimers.delete(orgId);
    this.watched.set(orgId, (this.watched.get(orgId) ?? 0) + 1);
  }

  private unwatch(orgId: string): void {
    const count = (this.watched.get(orgId) ?? 1) - 1;
    this.watched.set(orgId, count);
    if (count > 0) return;
    const timer = setTimeout(() => {
      this.unwatchTimers.delete(orgId);
      if ((this.watched.get(orgId) ?? 0) > 0) return;
      this.watched.delete(orgId);
      this.gaps.set(orgId, this.seq);
    }, this.resumeWindowMs);
    timer.unref();
    this.unwatchTimers.set(orgId, timer);
  }

  private flushContacts(): void {
    if (this.pendingContacts.size === 0) return;
    const pending = [...this.pendingContacts];
    this.pendingContacts.clear();
    for (const [sensorId, orgId] of pending) {
      const sensor = this.model.sensors.sensors.get(sensorId);
      if (sensor && this.watched.has(orgId)) this.publish(orgId, { kind: 'sensor', sensor: this.queries.sensorRow(sensor), summary: this.model.summary(orgId) });
    }
  }

  private resetEntry(orgId: string): Entry {
    const sensors = [];
    for (const id of this.model.sensors.inOrder(orgId).ids) sensors.push(this.queries.sensorRow(this.model.sensors.sensors.get(id)!));
    return { id: this.nextId(), orgId, change: { kind: 'reset', sensors, summary: this.model.summary(orgId) } };
  }

  private publish(orgId: string, change: FleetChange): void {
    const entry = { id: this.nextId(), orgId, change };
    this.buffer.push(entry);
    if (this.buffer.length > this.bufferSize) this.buffer.splice(0, this.buffer.length - this.bufferSize);
    for (const listener of this.listeners) listener(entry);
  }

  private nextId(): string {
    return `${this.model.position ?? 0n}-${++this.seq}`;
  }
}

function sequenceOf(id: string): number {
  const seq = Number(id.slice(id.lastIndexOf('-') + 1));
  return Number.isFinite(seq) ? seq : Number.POSITIVE_INFINITY;
}
