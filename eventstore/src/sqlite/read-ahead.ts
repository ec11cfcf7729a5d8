import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import type { RecordedEvent } from '../port.js';
import { CONTROL_CELLS, COMMANDS, GENERATION, POSTED, TAKEN, type ChunkReply, type Command, type ReadAheadWorkerData, type Reply } from './read-ahead-protocol.js';
import { Scan } from './read-ahead-scan.js';
import { startWorker } from './start-worker.js';

/**
 * Read-ahead for long forward scans of `$all` (catch-up, rebuilds, audits paging through the log).
 *
 * A worker thread (read-ahead-worker.ts) with its own read-only connection fetches the pages after the
 * one just served while the caller turns the current page into events, so fetching and parsing run on
 * two cores. Each chunk comes as one JSON text built by SQLite, which the caller parses with one
 * `JSON.parse`. Chunks are kept well under V8's large-object size: allocating larger strings is far
 * slower per byte.
 *
 * The caller never blocks on the worker: a page whose next chunk is still being fetched awaits it.
 *
 * Correctness rests on two facts: positions only grow, so a chunk that came back full stays exactly
 * what a read from its start would return, at any later moment; and a chunk that came back short ended
 * at the head the worker saw, so whatever follows it is read in-process (`readRest`), in one
 * synchronous step that sees every commit so far. The worker's chunk text follows the order in which
 * its ordered subquery yields rows; the caller checks that positions rise and, should they ever not,
 * stops using the worker.
 */

/** Chunk text size aimed for: well below the 128 KiB at which V8 allocates strings as large objects. */
const CHUNK_BYTES = 64 * 1024;
const FIRST_CHUNK = 250;
/** Chunks the worker may fetch before the caller takes them. */
const AHEAD = 16;
/** How long a page waits for a chunk before giving up on the worker and reading in-process. */
const FETCH_TIMEOUT_MS = 10_000;
/** A scan nobody has read from for this long is stopped, so that its chunks do not sit in memory. */
const IDLE_MS = 1000;

/** A page read in-process; `head` is the log's head read in the same synchronous step, when the page is short. */
export interface ForwardPage {
  events: RecordedEvent[];
  head: number | null;
}

export type ReadRest = (from: number, limit: number) => ForwardPage;

export interface ReadAheadHooks {
  /** Called before the worker opens its connection: the store lets other connections read. */
  share(): void;
  /** Called once the worker's connection is closed: the store tries to take the file back for itself. */
  reclaim(): boolean;
  /** Something went wrong with the worker; the scan goes on in-process. */
  log(line: string): void;
}

export class ReadAhead {
  readonly #file: string;
  readonly #columns: string;
  readonly #hooks: ReadAheadHooks;
  #worker: Worker | null = null;
  #port: MessagePort | null = null;
  #control: Int32Array | null = null;
  /** The worker failed or stopped answering: read in-process from then on. */
  #failed = false;
  /** A chunk once came back out of order: read in-process from then on. */
  #outOfOrder = false;
  #taken = 0;
  #generation = 0;
  /** The store let other connections read; it takes the file back once every `close` is answered. */
  #shared = false;
  #closesSent = 0;
  #closesAnswered = 0;
  #closing = false;
  /** Chunks of the current scan received and not yet taken. */
  #inbox: ChunkReply[] = [];
  #errors: string[] = [];
  /** Wakes a page waiting for a chunk. */
  #wake: (() => void) | null = null;
  /** A page is being served: other reads go in-process rather than interleave with it. */
  #busy = false;

  /** The scan being read ahead; null when none. */
  #scan: Scan | null = null;
  #idleTimer: NodeJS.Timeout | null = null;

  constructor(file: string, columns: string, hooks: ReadAheadHooks) {
    this.#file = file;
    this.#columns = columns;
    this.#hooks = hooks;
  }

  /**
   * Starts (or moves) the read-ahead to the events matching `where` after `last`, the event the
   * caller was just given. `where` has one placeholder for the start position first, then `params`.
   */
  start(key: string, where: string, params: unknown[], last: RecordedEvent): void {
    if (this.#failed || this.#outOfOrder || this.#closing) return;
    if (!this.#worker) this.#spawn();
    // The scan is set first: while one is set, the store does not take the file back (see #reclaimIfIdle).
    this.#scan = new Scan(key, last);
    this.#newGeneration();
    if (!this.#shared) {
      this.#hooks.share();
      this.#shared = true;
    }
    this.#send({ kind: 'read', generation: this.#generation, where, params, from: Number(last.position) + 1, limit: FIRST_CHUNK });
    if (!this.#idleTimer) {
      this.#idleTimer = setInterval(() => {
        if (this.#scan && !this.#busy && Date.now() - this.#scan.lastUsed > IDLE_MS) this.stop();
      }, IDLE_MS / 2);
      this.#idleTimer.unref();
    }
  }

  /**
   * Up to `limit` events matching the scan `key` from position `from` (inclusive), or null when the
   * read-ahead cannot serve that request (the caller then reads in-process). `readRest(from, limit)`
   * reads in-process whatever follows the events the worker fetched.
   */
  take(key: string, from: number, limit: number, readRest: ReadRest): Promise<ForwardPage> | null {
    const scan = this.#scan;
    if (!scan || scan.key !== key || this.#busy) return null;
    const out: RecordedEvent[] = [];
    if (from <= scan.servedTo) {
      // Only a repeat of the last event served (reads that resume inclusively from it) is possible.
      if (from !== scan.servedTo) return null;
      out.push(scan.lastServed);
    }
    this.#busy = true;
    scan.lastUsed = Date.now();
    return this.#serve(scan, from, limit, out, readRest).finally(() => {
      this.#busy = false;
    });
  }

  /** Ends the scan; the worker closes its connection and the store then takes the file back. */
  stop(): void {
    this.#scan = null;
    if (this.#idleTimer) {
      clearInterval(this.#idleTimer);
      this.#idleTimer = null;
    }
    if (!this.#worker || !this.#shared) return;
    this.#newGeneration();
    this.#send({ kind: 'close' });
    this.#closesSent += 1;
  }

  /** Stops the worker thread. */
  async close(): Promise<void> {
    this.#closing = true;
    this.stop();
    const worker = this.#worker;
    if (!worker) return;
    this.#send({ kind: 'exit' });
    this.#worker = null;
    this.#wake?.();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => void worker.terminate().then(() => resolve()), 2000);
      worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.#port?.close();
  }

  async #serve(scan: Scan, from: number, limit: number, out: RecordedEvent[], readRest: ReadRest): Promise<ForwardPage> {
    while (out.length < limit) {
      if (scan.hasRows) {
        if (scan.serveRow(from, out)) continue;
        // Never expected (see above), but never trusted either: later scans do without the worker.
        this.#outOfOrder = true;
        this.#hooks.log(`Event store ${this.#file}: read-ahead returned positions out of order; reading in-process from now on`);
        break;
      }
      if (scan.ended || !(this.#nextChunk(scan) || (await this.#awaitChunk(scan)))) break;
    }
    if (out.length > 0) scan.lastServed = out[out.length - 1]!;
    scan.lastUsed = Date.now();
    if (out.length === limit) return { events: out, head: null };
    // The worker's events are used up (or no longer trusted): the rest comes from the caller's own
    // connection, in one synchronous step with its head.
    if (this.#scan === scan) this.stop();
    const rest = readRest(Math.max(from, scan.coveredTo + 1), limit - out.length);
    for (const event of rest.events) out.push(event);
    return { events: out, head: rest.head };
  }

  /** Waits, without blocking, until a chunk of the scan arrives; false when none will (see #nextChunk). */
  async #awaitChunk(scan: Scan): Promise<boolean> {
    const deadline = Date.now() + FETCH_TIMEOUT_MS;
    for (;;) {
      if (this.#failed || this.#scan !== scan) return false;
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        this.#fail(`no chunk came within ${FETCH_TIMEOUT_MS} ms`);
        return false;
      }
      await new Promise<void>((resolve) => {
        // A ref'ed timer: the process stays up while a page waits for its chunk.
        const timer = setTimeout(resolve, remaining);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
      if (this.#nextChunk(scan)) return true;
    }
  }

  /**
   * Takes the scan's next chunk, if one has arrived, into `scan`. False when none has arrived yet, and
   * when none will: scan ended, stopped or replaced, worker failed, or an error in the worker.
   */
  #nextChunk(scan: Scan): boolean {
    this.#receive();
    if (this.#failed || this.#scan !== scan) return false;
    const error = this.#errors.shift();
    if (error !== undefined) {
      this.#hooks.log(`Event store ${this.#file}: read-ahead failed (${error}); reading in-process`);
      scan.ended = true;
      return false;
    }
    const chunk = this.#inbox.shift();
    if (!chunk) return false;
    this.#took(1);
    try {
      scan.use(chunk);
      return true;
    } catch (parseError) {
      this.#hooks.log(`Event store ${this.#file}: read-ahead chunk unreadable (${(parseError as Error).message}); reading in-process`);
      scan.ended = true;
      return false;
    }
  }

  /** Receives whatever the worker has posted and not yet been dispatched to the port's listener. */
  #receive(): void {
    if (!this.#port) return;
    for (let received = receiveMessageOnPort(this.#port); received; received = receiveMessageOnPort(this.#port)) this.#accept(received.message as Reply);
  }

  #accept(reply: Reply): void {
    if (reply.kind === 'closed') {
      this.#closesAnswered += 1;
      this.#reclaimIfIdle();
      return;
    }
    if (reply.generation !== this.#generation) this.#took(1);
    else if (reply.kind === 'error') this.#errors.push(reply.error);
    else this.#inbox.push(reply);
    this.#wake?.();
  }

  /**
   * The worker's connection is closed once every `close` sent is answered; with no scan running, no
   * `read` follows the last of them, so the store can take the file back.
   */
  #reclaimIfIdle(): void {
    if (this.#closing || this.#scan || !this.#shared || this.#closesAnswered !== this.#closesSent) return;
    if (this.#hooks.reclaim()) this.#shared = false;
  }

  /** Counts chunks taken; a worker asleep on a full window wakes once half of it is taken. */
  #took(count: number): void {
    this.#taken += count;
    const control = this.#control!;
    Atomics.store(control, TAKEN, this.#taken);
    if (Atomics.load(control, POSTED) - this.#taken <= AHEAD / 2) Atomics.notify(control, TAKEN);
  }

  /** Abandons the scan the worker was fetching, and whatever it sent for it. */
  #newGeneration(): void {
    this.#generation += 1;
    Atomics.store(this.#control!, GENERATION, this.#generation);
    // A worker asleep on a full window of the previous scan wakes to notice.
    Atomics.notify(this.#control!, TAKEN);
    this.#discardInbox();
  }

  #discardInbox(): void {
    this.#receive();
    this.#took(this.#inbox.length + this.#errors.length);
    this.#inbox = [];
    this.#errors = [];
  }

  #fail(reason: string): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#hooks.log(`Event store ${this.#file}: read-ahead worker ${reason}; reading in-process from now on`);
    this.#wake?.();
  }

  #spawn(): void {
    const control = new Int32Array(new SharedArrayBuffer(CONTROL_CELLS * Int32Array.BYTES_PER_ELEMENT));
    const { port1, port2 } = new MessageChannel();
    const workerData: ReadAheadWorkerData = { file: this.#file, port: port2, control, columns: this.#columns, chunkBytes: CHUNK_BYTES, minChunk: 16, maxChunk: 1000, ahead: AHEAD };
    const worker = startWorker(import.meta.url, 'read-ahead-worker', { workerData, transferList: [port2] });
    worker.unref();
    worker.on('error', (error) => this.#fail(`failed: ${error.message}`));
    worker.on('exit', (code) => {
      if (this.#worker !== worker) return;
      this.#fail(`exited (code ${code})`);
      // A thread that is gone holds no connection.
      this.#closesAnswered = this.#closesSent;
      this.#reclaimIfIdle();
    });
    port1.on('message', (reply: Reply) => this.#accept(reply));
    port1.unref();
    this.#worker = worker;
    this.#port = port1;
    this.#control = control;
    this.#taken = 0;
  }

  #send(command: Command): void {
    if (!this.#worker || !this.#port) return;
    this.#port.postMessage(command);
    Atomics.add(this.#control!, COMMANDS, 1);
    Atomics.notify(this.#control!, COMMANDS);
  }
}
