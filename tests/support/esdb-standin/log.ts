/** In-memory transaction log of the EventStoreDB stand-in (a test double; see index.ts). */

export interface StoredEvent {
  id: string;
  streamName: string;
  revision: bigint;
  /** Log position where the event's record starts: both its commit and prepare position. */
  position: bigint;
  /** Record length, so the next record starts at `position + length` (as in a transaction file). */
  length: bigint;
  type: string;
  contentType: string;
  data: Uint8Array;
  metadata: Uint8Array;
  /** .NET ticks (100 ns) since the Unix epoch, as the server reports `created`. */
  created: bigint;
}

export interface ProposedEvent {
  id: string;
  type: string;
  contentType: string;
  data: Uint8Array;
  metadata: Uint8Array;
}

export type Expected = { kind: 'any' } | { kind: 'no_stream' } | { kind: 'stream_exists' } | { kind: 'revision'; revision: bigint };

export type AppendOutcome =
  | { ok: true; currentRevision: bigint | null; position: bigint | null }
  | { ok: false; currentRevision: bigint | null };

/** EventStoreDB's default `MaxAppendSize`: 1 MiB per append. */
export const MAX_APPEND_SIZE = 1024 * 1024;

/**
 * The size the server holds against `MaxAppendSize`. It means to add data, metadata and type, but
 * `Event.SizeOnDisk` (24.10) reads `data?.Length ?? 0 + metadata?.Length ?? 0 + ...`, which C#
 * groups as `data?.Length ?? (...)`: the data alone counts, summed over the append.
 */
export function appendSize(proposed: ProposedEvent[]): number {
  return proposed.reduce((sum, event) => sum + event.data.length, 0);
}

/** Fixed part of a prepare record; the real size varies, what matters is that positions have gaps. */
const RECORD_OVERHEAD = 88n;

export class StandInLog {
  readonly #all: StoredEvent[] = [];
  readonly #streams = new Map<string, StoredEvent[]>();
  readonly #listeners = new Set<(events: StoredEvent[]) => void>();
  /** Every event by id, as the server's committed-events cache that idempotency checks consult. */
  readonly #byId = new Map<string, StoredEvent>();
  /** Where every record starts: the only positions a read or subscription may start from. */
  readonly #starts = new Set<bigint>();
  #next = 0n;

  constructor() {
    // A real node writes its own records first, so product events never start at position 0
    // and `$all` readers must skip system events.
    const empty = new TextEncoder().encode('{}');
    this.append('$settings', { kind: 'any' }, [{ id: crypto.randomUUID(), type: '$settings', contentType: 'application/json', data: empty, metadata: new Uint8Array() }]);
    this.append('$$$scavenges', { kind: 'any' }, [{ id: crypto.randomUUID(), type: '$metadata', contentType: 'application/json', data: empty, metadata: new Uint8Array() }]);
  }

  /**
   * Optimistic concurrency as EventStoreDB checks it; the whole batch is written or nothing. An
   * append repeating events already in the stream succeeds without writing (see `#repeat`).
   */
  append(streamName: string, expected: Expected, proposed: ProposedEvent[]): AppendOutcome {
    const stream = this.#streams.get(streamName);
    const current = stream?.length ? BigInt(stream.length - 1) : null;
    if (expected.kind === 'stream_exists' && current === null) return { ok: false, currentRevision: current };
    const repeat = proposed.length === 0 ? null : this.#repeat(streamName, stream ?? [], expected, current, proposed);
    if (repeat) return repeat;
    const ok =
      expected.kind === 'any' ||
      expected.kind === 'stream_exists' ||
      (expected.kind === 'no_stream' && current === null) ||
      (expected.kind === 'revision' && current === expected.revision);
    if (!ok) return { ok: false, currentRevision: current };
    if (proposed.length === 0) return { ok: true, currentRevision: current, position: null };

    const created = BigInt(Date.now()) * 10_000n;
    let revision = current ?? -1n;
    const written = proposed.map((event): StoredEvent => {
      revision += 1n;
      const length = RECORD_OVERHEAD + BigInt(streamName.length + event.type.length + event.data.length + event.metadata.length);
      const stored = { ...event, streamName, revision, position: this.#next, length, created };
      this.#byId.set(event.id, stored);
      this.#starts.add(stored.position);
      this.#next += length;
      return stored;
    });
    this.#all.push(...written);
    if (stream) stream.push(...written);
    else this.#streams.set(streamName, written);
    for (const listener of [...this.#listeners]) listener(written);
    const last = written[written.length - 1]!;
    return { ok: true, currentRevision: last.revision, position: last.position };
  }

  /**
   * The server's idempotency check (`IndexWriter.CheckCommit`), for an append whose events may
   * already be stored. With `any` or `stream_exists` the ids are looked up wherever they are in the
   * stream; with an exact revision (or `no_stream`, revision -1) behind the stream's end they must be
   * the events right after that revision. All found: success with the last one's revision and
   * position, nothing written. Only some found: wrong expected version. None: `null`, a normal append.
   */
  #repeat(streamName: string, stream: StoredEvent[], expected: Expected, current: bigint | null, proposed: ProposedEvent[]): AppendOutcome | null {
    const refused = { ok: false as const, currentRevision: current };
    const found = (event: StoredEvent | undefined): event is StoredEvent => event !== undefined;
    let matches: (StoredEvent | undefined)[];
    if (expected.kind === 'any' || expected.kind === 'stream_exists') {
      matches = proposed.map(({ id }) => this.#byId.get(id)).map((event) => (event?.streamName === streamName ? event : undefined));
    } else {
      const after = expected.kind === 'no_stream' ? -1n : expected.revision;
      if (after >= (current ?? -1n)) return null;
      matches = proposed.map(({ id }, i) => stream[Number(after) + 1 + i]).map((event, i) => (event?.id === proposed[i]!.id ? event : undefined));
      if (!found(matches[0])) return refused;
    }
    if (!found(matches[0])) return null;
    if (!matches.every(found)) return refused;
    const last = matches.at(-1)!;
    return { ok: true, currentRevision: last.revision, position: last.position };
  }

  /**
   * Whether `position` is where a read may start: a record's start, or the end of the log or beyond
   * (forward reads there find nothing). Anywhere else a node reads a record header out of the middle
   * of a record and refuses.
   */
  isReadablePosition(position: bigint): boolean {
    return position >= this.#next || position === 0n || this.#starts.has(position);
  }

  /** `null` when the stream does not exist. Revisions are inclusive in both directions. */
  readStream(streamName: string, from: bigint | 'start' | 'end', forwards: boolean, count: bigint): StoredEvent[] | null {
    const stream = this.#streams.get(streamName);
    if (!stream) return null;
    const out: StoredEvent[] = [];
    if (forwards) {
      const start = from === 'start' ? 0 : from === 'end' ? stream.length : Number(from);
      for (let i = start; i < stream.length && BigInt(out.length) < count; i++) out.push(stream[i]!);
    } else {
      const start = from === 'start' ? 0 : from === 'end' ? stream.length - 1 : Math.min(Number(from), stream.length - 1);
      for (let i = start; i >= 0 && BigInt(out.length) < count; i--) out.push(stream[i]!);
    }
    return out;
  }

  /**
   * Reads `$all` as the server does: forwards from a position includes the record starting there;
   * backwards from a position includes only records that end at or before it (a position is a
   * record's start), so the event at that position is not included.
   */
  readAll(from: bigint | 'start' | 'end', forwards: boolean, count: bigint, keep: (event: StoredEvent) => boolean): StoredEvent[] {
    const out: StoredEvent[] = [];
    const all = this.#all;
    if (forwards) {
      const start = from === 'start' ? 0n : from === 'end' ? this.#next : from;
      for (const event of all) {
        if (BigInt(out.length) >= count) break;
        if (event.position >= start && keep(event)) out.push(event);
      }
    } else {
      const end = from === 'start' ? 0n : from === 'end' ? this.#next : from;
      for (let i = all.length - 1; i >= 0 && BigInt(out.length) < count; i--) {
        const event = all[i]!;
        if (event.position + event.length <= end && keep(event)) out.push(event);
      }
    }
    return out;
  }

  /** Events strictly after `position` (subscriptions start exclusively); all of them for `null`. */
  after(position: bigint | null): StoredEvent[] {
    return position === null ? [...this.#all] : this.#all.filter((event) => event.position > position);
  }

  lastPosition(): bigint | null {
    return this.#all.at(-1)?.position ?? null;
  }

  /** Calls `listener` synchronously with every batch appended from now on. */
  onAppend(listener: (events: StoredEvent[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
