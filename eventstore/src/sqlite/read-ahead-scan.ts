import type { EventMetadata, RecordedEvent } from '../port.js';
import type { ChunkReply } from './read-ahead-protocol.js';

/** Fields per event in a chunk. */
const FIELDS = 8;

/** Where a scan read ahead stands: what was handed out, and the chunk being handed out. */
export class Scan {
  /** Position of the last event handed out. */
  servedTo: number;
  /** Every matching event after `servedTo` up to `coveredTo` is in the current chunk. */
  coveredTo: number;
  /** The worker reached the head (or is no longer used): no chunk will come after the current one. */
  ended = false;
  /** Position of the last event read from a chunk (served or skipped): they must rise. */
  #seen: number;
  /** Kept for reads that resume inclusively from the last event they were given. */
  lastServed: RecordedEvent;
  #chunk: unknown[] = [];
  #index = 0;
  lastUsed = Date.now();

  constructor(
    readonly key: string,
    last: RecordedEvent,
  ) {
    this.servedTo = this.coveredTo = this.#seen = Number(last.position);
    this.lastServed = last;
  }

  get hasRows(): boolean {
    return this.#index < this.#chunk.length;
  }

  /** Makes `chunk` the current one. Throws, leaving the scan as it was, when its text is not JSON. */
  use(chunk: ChunkReply): void {
    const rows = chunk.count === 0 ? [] : (JSON.parse(chunk.text!) as unknown[]);
    if (chunk.count < chunk.limit) this.ended = true;
    this.#chunk = rows;
    this.#index = 0;
    if (chunk.last !== null) this.coveredTo = chunk.last;
  }

  /**
   * Moves the current chunk's next event into `out`, unless it comes before `from`. False when positions
   * do not rise: the chunk is dropped, and what follows the last event served must be read otherwise.
   */
  serveRow(from: number, out: RecordedEvent[]): boolean {
    const a = this.#chunk;
    const i = this.#index;
    this.#index = i + FIELDS;
    const position = a[i] as number;
    if (position <= this.#seen) {
      this.coveredTo = this.servedTo;
      this.#chunk = [];
      this.#index = 0;
      this.ended = true;
      return false;
    }
    this.#seen = position;
    if (position < from) return true;
    out.push({
      id: a[i + 3] as string,
      streamName: a[i + 1] as string,
      revision: BigInt(a[i + 2] as number),
      position: BigInt(position),
      type: a[i + 4] as string,
      data: a[i + 5],
      metadata: a[i + 6] as EventMetadata,
      recordedAt: new Date(a[i + 7] as number),
    });
    this.servedTo = position;
    return true;
  }
}
