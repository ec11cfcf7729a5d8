import { createRequire } from 'node:module';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { EventMetadata, RecordedEvent } from '../port.js';

/**
 * Read-ahead for long forward scans of `$all` (catch-up, rebuilds, audits paging through the log).
 *
 * A worker thread with its own read-only connection fetches the pages after the one just served while
 * the caller turns the current page into events, so fetching and parsing run on two cores. The worker
 * ships each chunk as one JSON text built by SQLite (`[position, stream, revision, id, type, data,
 * metadata, recordedAt, ...]`, the stored JSON spliced in as is), which the caller parses with one
 * `JSON.parse`. Chunks are kept well under V8's large-object size: allocating larger strings is far
 * slower per byte.
 *
 * Everything here is synchronous: the caller blocks (Atomics.wait) for a chunk still being fetched,
 * just as it would block on the driver, so a page is served in one synchronous step and nothing can be
 * appended half-way through it.
 *
 * Correctness rests on two facts: positions only grow, so a chunk that came back full stays exactly
 * what a read from its start would return; and a chunk that came back short ended at the head the
 * worker saw, so whatever follows it is read in-process by the caller, which sees every commit.
 *
 * The chunk's text is concatenated in the order the ordered subquery yields its rows. Asking the
 * aggregate to sort them again would cost a sort per chunk (measured: two thirds of the worker's time),
 * so instead the caller checks that positions rise and, should they ever not, stops using the worker.
 */

/** Chunk text size aimed for: well below the 128 KiB at which V8 allocates strings as large objects. */
const CHUNK_BYTES = 64 * 1024;
const MIN_CHUNK = 16;
const MAX_CHUNK = 1000;
/** Chunks the worker may fetch before the caller takes them. */
const AHEAD = 16;
/** How long the caller waits for a chunk before giving up on the worker and reading in-process. */
const FETCH_TIMEOUT_MS = 10_000;

// Control cells shared with the worker.
const COMMANDS = 0; // bumped by the caller after each command
const POSTED = 1; // chunks posted by the worker
const TAKEN = 2; // chunks received by the caller
const GENERATION = 3; // the scan the worker should be fetching; others are abandoned
const OPEN = 4; // 1 while the worker holds its connection

type Command =
  | { kind: 'read'; generation: number; where: string; params: unknown[]; from: number; limit: number }
  | { kind: 'close' }
  | { kind: 'exit' };

type Chunk =
  | { generation: number; limit: number; count: number; last: number | null; text: string | null }
  | { generation: number; error: string };

const WORKER_SOURCE = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const { file, port, control, columns, chunkBytes, minChunk, maxChunk, ahead } = workerData;
let db = null;
const statements = new Map();
let seen = 0;
function post(message) {
  port.postMessage(message);
  Atomics.add(control, ${POSTED}, 1);
  Atomics.notify(control, ${POSTED});
}
for (;;) {
  let received = receiveMessageOnPort(port);
  while (!received) {
    Atomics.wait(control, ${COMMANDS}, seen);
    seen = Atomics.load(control, ${COMMANDS});
    received = receiveMessageOnPort(port);
  }
  const command = received.message;
  if (command.kind === 'exit') break;
  if (command.kind === 'close') {
    if (db) db.close();
    db = null;
    statements.clear();
    Atomics.store(control, ${OPEN}, 0);
    Atomics.notify(control, ${OPEN});
    continue;
  }
  if (Atomics.load(control, ${GENERATION}) !== command.generation) continue;
  try {
    if (!db) {
      db = new Database(file, { readonly: true, fileMustExist: true, timeout: 1000 });
      db.pragma('cache_size = -65536');
      Atomics.store(control, ${OPEN}, 1);
    }
    let statement = statements.get(command.where);
    if (!statement) {
      statement = db.prepare(
        "SELECT count(*), max(position), '[' || group_concat(position || ',' || json_quote(stream) || ',' || revision || ',' || json_quote(id) || ',' || json_quote(type) || ',' || data || ',' || metadata || ',' || recorded_at, ',') || ']' " +
          'FROM (SELECT ' + columns + ' FROM events WHERE ' + command.where + ' ORDER BY position LIMIT ?)',
      ).raw();
      statements.set(command.where, statement);
    }
    let from = command.from;
    let limit = command.limit;
    // Once 'ahead' chunks are unread, sleep until the caller has taken half of them (it wakes this
    // thread then): one wake-up per several chunks rather than one per chunk.
    let full = false;
    while (Atomics.load(control, ${GENERATION}) === command.generation) {
      const taken = Atomics.load(control, ${TAKEN});
      const unread = Atomics.load(control, ${POSTED}) - taken;
      if (unread >= ahead || (full && unread > ahead / 2)) {
        full = true;
        Atomics.wait(control, ${TAKEN}, taken, 100);
        continue;
      }
      full = false;
      const [count, last, text] = statement.get(from, ...command.params, limit);
      post({ generation: command.generation, limit, count, last, text });
      if (count < limit) break;
      from = last + 1;
      limit = Math.max(minChunk, Math.min(maxChunk, Math.floor((limit * chunkBytes) / text.length)));
    }
  } catch (error) {
    post({ generation: command.generation, error: String((error && error.message) || error) });
  }
}
if (db) db.close();
`;

interface Scan {
  key: string;
  /** Position of the last event handed out. */
  servedTo: number;
  /** Every matching event after `servedTo` up to `coveredTo` is in the current chunk or on its way. */
  coveredTo: number;
  /** The worker reached the head: nothing more will come for this scan. */
  ended: boolean;
  /** Position of the last event read from a chunk (served or skipped): they must rise. */
  seen: number;
  /** Kept for reads that resume inclusively from the last event they were given. */
  lastServed: RecordedEvent | null;
  chunk: unknown[];
  index: number;
  lastUsed: number;
}

export interface ReadAheadHooks {
  /** Called before the worker opens its connection: the store lets other connections read. */
  share(): void;
  /** Called once the worker has closed its connection: the store takes the file back for itself. */
  reclaim(): void;
}

export class ReadAhead {
  readonly #file: string;
  readonly #columns: string;
  readonly #hooks: ReadAheadHooks;
  #worker: Worker | null = null;
  #port: MessagePort | null = null;
  #control: Int32Array | null = null;
  #failed = false;
  /** A chunk once came back out of order: read in-process from then on. */
  #outOfOrder = false;
  #taken = 0;
  #generation = 0;
  #shared = false;

  /** The scan being read ahead; null when none. */
  #scan: Scan | null = null;
  #idleTimer: NodeJS.Timeout | null = null;

  constructor(file: string, columns: string, hooks: ReadAheadHooks) {
    this.#file = file;
    this.#columns = columns;
    this.#hooks = hooks;
  }

  get active(): boolean {
    return this.#scan !== null;
  }

  /**
   * Starts (or moves) the read-ahead to the events matching `where` after `last`, the event the
   * caller was just given. `where` has one placeholder for the start position first, then `params`.
   */
  start(key: string, where: string, params: unknown[], last: RecordedEvent): void {
    const after = Number(last.position);
    if (this.#failed || this.#outOfOrder) return;
    if (!this.#worker) this.#spawn();
    if (!this.#shared) {
      this.#hooks.share();
      this.#shared = true;
    }
    this.#generation += 1;
    Atomics.store(this.#control!, GENERATION, this.#generation);
    this.#send({ kind: 'read', generation: this.#generation, where, params, from: after + 1, limit: 250 });
    Atomics.notify(this.#control!, TAKEN);
    this.#scan = { key, servedTo: after, coveredTo: after, ended: false, seen: after, lastServed: last, chunk: [], index: 0, lastUsed: Date.now() };
    if (!this.#idleTimer) {
      this.#idleTimer = setInterval(() => {
        if (this.#scan && Date.now() - this.#scan.lastUsed > 1000) this.stop();
      }, 500);
      this.#idleTimer.unref();
    }
  }

  /**
   * Up to `limit` events matching the scan `key` from position `from` (inclusive), or null when the
   * read-ahead cannot serve that request. `readRest(from, limit)` reads in-process whatever follows
   * the events the worker fetched.
   */
  take(key: string, from: number, limit: number, readRest: (from: number, limit: number) => RecordedEvent[]): RecordedEvent[] | null {
    const scan = this.#scan;
    if (!scan || scan.key !== key) return null;
    const out: RecordedEvent[] = [];
    if (from <= scan.servedTo) {
      // Only a repeat of the last event served (reads that resume inclusively from it) is possible.
      if (scan.lastServed === null || from !== scan.servedTo) return null;
      out.push(scan.lastServed);
    }
    let rest = false;
    while (out.length < limit) {
      if (scan.index >= scan.chunk.length) {
        if (scan.ended || !this.#nextChunk(scan)) {
          rest = true;
          break;
        }
        continue;
      }
      const a = scan.chunk;
      const i = scan.index;
      scan.index = i + 8;
      const position = a[i] as number;
      if (position <= scan.seen) {
        // Out of order: never expected (see above), but never trusted either. What follows the last
        // event served is read in-process, and later scans do without the worker.
        this.#outOfOrder = true;
        scan.coveredTo = scan.servedTo;
        scan.chunk = [];
        scan.index = 0;
        rest = true;
        break;
      }
      scan.seen = position;
      if (position < from) continue;
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
      scan.servedTo = position;
    }
    if (out.length > 0) scan.lastServed = out[out.length - 1]!;
    scan.lastUsed = Date.now();
    if (rest) {
      // The worker's events are used up: the rest comes from the caller's own connection.
      const start = Math.max(from, scan.coveredTo + 1);
      const more = out.length < limit ? readRest(start, limit - out.length) : [];
      for (const event of more) out.push(event);
      this.stop();
    }
    return out;
  }

  /** Ends the scan; the worker closes its connection and the store takes the file back. */
  stop(): void {
    this.#scan = null;
    if (this.#idleTimer) {
      clearInterval(this.#idleTimer);
      this.#idleTimer = null;
    }
    if (!this.#worker || !this.#shared) return;
    const control = this.#control!;
    this.#generation += 1;
    Atomics.store(control, GENERATION, this.#generation);
    Atomics.notify(control, TAKEN);
    this.#send({ kind: 'close' });
    const deadline = Date.now() + FETCH_TIMEOUT_MS;
    while (!this.#failed && Atomics.load(control, OPEN) === 1 && Date.now() < deadline) Atomics.wait(control, OPEN, 1, 100);
    this.#drain();
    this.#shared = false;
    this.#hooks.reclaim();
  }

  /** Stops the worker thread. */
  async close(): Promise<void> {
    this.stop();
    const worker = this.#worker;
    if (!worker) return;
    this.#worker = null;
    this.#send({ kind: 'exit' }, worker);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => void worker.terminate().then(() => resolve()), 2000);
      worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.#port?.close();
  }

  #spawn(): void {
    const control = new Int32Array(new SharedArrayBuffer(8 * Int32Array.BYTES_PER_ELEMENT));
    const { port1, port2 } = new MessageChannel();
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { file: this.#file, port: port2, control, driver, columns: this.#columns, chunkBytes: CHUNK_BYTES, minChunk: MIN_CHUNK, maxChunk: MAX_CHUNK, ahead: AHEAD },
      transferList: [port2],
    });
    worker.unref();
    worker.on('error', () => {
      this.#failed = true;
    });
    worker.on('exit', () => {
      if (this.#worker === worker) this.#failed = true;
    });
    this.#worker = worker;
    this.#port = port1;
    this.#control = control;
    this.#taken = 0;
  }

  #send(command: Command, worker = this.#worker): void {
    if (!worker || !this.#port) return;
    this.#port.postMessage(command);
    Atomics.add(this.#control!, COMMANDS, 1);
    Atomics.notify(this.#control!, COMMANDS);
  }

  /** Receives the scan's next chunk into `scan`; false when there is none (scan ended or worker failed). */
  #nextChunk(scan: Scan): boolean {
    const control = this.#control!;
    const deadline = Date.now() + FETCH_TIMEOUT_MS;
    for (;;) {
      if (this.#failed) return false;
      const received = receiveMessageOnPort(this.#port!) as { message: Chunk } | undefined;
      if (received) {
        this.#taken += 1;
        Atomics.store(control, TAKEN, this.#taken);
        // A full worker sleeps until half of its chunks are taken: wake it when this take gets there. (A
        // worker that fills up after this check sleeps on the count as it is now; later takes, which
        // cannot wait while chunks are unread, change that count and come to half again.)
        if (Atomics.load(control, POSTED) - this.#taken === AHEAD / 2) Atomics.notify(control, TAKEN);
        const chunk = received.message;
        if (chunk.generation !== this.#generation) continue;
        if ('error' in chunk) return false;
        if (chunk.count < chunk.limit) scan.ended = true;
        if (chunk.count === 0) {
          scan.chunk = [];
          scan.index = 0;
          return !scan.ended;
        }
        let parsed: unknown[];
        try {
          parsed = JSON.parse(chunk.text!) as unknown[];
        } catch {
          return false;
        }
        scan.chunk = parsed;
        scan.index = 0;
        scan.coveredTo = chunk.last!;
        return true;
      }
      if (Date.now() >= deadline) {
        this.#failed = true;
        return false;
      }
      const posted = Atomics.load(control, POSTED);
      if (posted > this.#taken) continue; // posted and on its way
      Atomics.wait(control, POSTED, posted, 100);
    }
  }

  /** Discards chunks of abandoned scans. */
  #drain(): void {
    if (!this.#port) return;
    while (receiveMessageOnPort(this.#port)) this.#taken += 1;
    Atomics.store(this.#control!, TAKEN, this.#taken);
  }
}
