import { decidersByKind, type StateOf } from '../domain/deciders.js';
import type { Evolving } from '../domain/decider.js';
import type { ModelEvent } from '../domain/model-event.js';
import { streamId, streamKind, type StreamKind } from '../domain/streams.js';
import type { SensorState } from '../domain/sensor.js';
import { SharedValues } from './shared-values.js';
import { linkOf } from './event-chain.js';

interface Entry {
  state: unknown;
  /** A number rather than a bigint: one object less per stream, and revisions stay far below 2^53. */
  revision: number;
  /** The hash of the stream's last event, which its next event chains to; null when that event carries no chain. */
  chainHead: string | null;
}

export type StateListener = (event: ModelEvent, kind: StreamKind, before: unknown, after: unknown) => void;

/**
 * The write model: every stream's state as its decider evolves it, with what its next append
 * needs: the stream's revision (the expected revision) and its chain head (the hash the next
 * event links to, see `event-chain.ts`). Fed with each event once stored, and with the whole
 * log at start.
 */
export class StreamStates {
  /**
   * Each kind's streams by their id (the name without its kind's prefix): a lookup by id
   * builds no name, and a stream whose state carries its own id as `id` (a sensor's, a job's)
   * is keyed by that very string, so a large fleet keeps no second copy of each id.
   */
  private readonly byKind = new Map<StreamKind, Map<string, Entry>>();
  private readonly listeners: StateListener[] = [];
  /** Sensors' capability lists and scanner versions, one copy of each value that sensors report alike. */
  private readonly details = new SharedValues();

  /** Told of every state change, after it is made: write-side indexes follow the states this way. */
  onChange(listener: StateListener): void {
    this.listeners.push(listener);
  }

  apply(event: ModelEvent): void {
    const kind = streamKind(event.streamName);
    if (kind === null) return;
    const streams = this.streamsOf(kind);
    const id = streamId(event.streamName);
    const known = streams.get(id);
    const decider = decidersByKind[kind] as unknown as { initialState: () => unknown; evolve: (state: unknown, event: Evolving) => unknown };
    const before = known ? known.state : decider.initialState();
    // Events in the store were checked against the catalog when they were appended.
    const after = decider.evolve(before, event as unknown as Evolving);
    if (kind === 'sensor') this.shareDetails(before as SensorState, after as SensorState);
    const revision = Number(event.revision);
    const chainHead = linkOf(event.metadata)?.hash ?? null;
    if (known) {
      known.state = after;
      known.revision = revision;
      known.chainHead = chainHead;
    } else {
      const ownId = (after as { id?: unknown } | null)?.id;
      streams.set(ownId === id ? ownId : id, { state: after, revision, chainHead });
    }
    for (const listener of this.listeners) listener(event, kind, before, after);
  }

  /** Forgets a stream, so it can be read again from the store. */
  forget(streamName: string): void {
    const kind = streamKind(streamName);
    if (kind !== null) this.byKind.get(kind)?.delete(streamId(streamName));
  }

  revision(streamName: string): bigint | 'no_stream' {
    const entry = this.entry(streamName);
    return entry === undefined ? 'no_stream' : BigInt(entry.revision);
  }

  /**
   * The hash the stream's next event chains to: its last event's, or null for a new stream (or
   * one whose last event is unchained). Streams of no known kind are not kept here; the writer
   * appends to those only as new streams.
   */
  chainHead(streamName: string): string | null {
    return this.entry(streamName)?.chainHead ?? null;
  }

  /** The state of a stream, by its kind and id (`state('sensor', id)` for the stream `sensor-<id>`). */
  state<K extends StreamKind>(kind: K, id: string): StateOf<K> {
    const entry = this.byKind.get(kind)?.get(id);
    return (entry ? entry.state : decidersByKind[kind].initialState()) as StateOf<K>;
  }

  /** The current state of every stream of a kind. */
  *all<K extends StreamKind>(kind: K): IterableIterator<NonNullable<StateOf<K>>> {
    for (const entry of this.byKind.get(kind)?.values() ?? []) if (entry.state !== null) yield entry.state as NonNullable<StateOf<K>>;
  }

  /**
   * A new state holds the shared copy of a detail value it brought (registration, details
   * changed). The state was made by this `apply` and nobody else holds it yet, and states are
   * never changed in place after, so sharing cannot leak a change from one sensor to another.
   */
  private shareDetails(before: SensorState, after: SensorState): void {
    if (after === null || after === before) return;
    if (after.capabilities !== before?.capabilities) after.capabilities = this.details.share(after.capabilities);
    if (after.scannerVersions !== before?.scannerVersions) after.scannerVersions = this.details.share(after.scannerVersions);
  }

  private entry(streamName: string): Entry | undefined {
    const kind = streamKind(streamName);
    return kind === null ? undefined : this.byKind.get(kind)?.get(streamId(streamName));
  }

  private streamsOf(kind: StreamKind): Map<string, Entry> {
    let streams = this.byKind.get(kind);
    if (!streams) this.byKind.set(kind, (streams = new Map()));
    return streams;
  }
}
