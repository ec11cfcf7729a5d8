import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { WriterData, WriterMessage, WriterReply } from './read-model-writer-protocol.js';

/**
 * The writer runs at the lowest scheduling priority (nice value; 0 is the main thread's). Storing rows can
 * always wait a moment, while the main thread applies events and answers requests; on a machine with few
 * cores the writer would otherwise take turns with it on the same core.
 */
const WRITER_NICE = 19;

/** Rows per `rows` message. */
const ROWS_PER_MESSAGE = 1000;

/** The writer threads of this process that have not exited, by file. */
const liveWriters = new Map<string, Set<WriterThread>>();

/** True when every save handed to a writer of `file` in this process is finished (stored or failed). */
export function writesSettled(file: string): boolean {
  return [...(liveWriters.get(file) ?? [])].every((writer) => writer.settled());
}

/** Resolves once every save handed so far to a writer of `file` in this process is finished. */
export async function whenWritesSettled(file: string): Promise<void> {
  for (const writer of [...(liveWriters.get(file) ?? [])]) await writer.whenSettled();
}

/**
 * The main thread's side of a read-model writer thread (read-model-writer.ts). It hands the thread its
 * saves and never waits for it: callers that need the rows stored await `whenSettled`.
 *
 * The thread keeps the process alive only while it has work: saves not yet finished, or a close.
 */
export class WriterThread {
  readonly #worker: Worker;
  readonly #port: MessagePort;
  readonly #closed = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  /** Resolves when the thread has exited. */
  readonly exited: Promise<void>;
  #submitted = 0;
  #done = 0;
  #closing = false;
  #waiters: (() => void)[] = [];
  /** Why a save failed (or the thread died): the first such error, kept. */
  error: string | null = null;

  constructor(readonly file: string) {
    const live = liveWriters.get(file) ?? new Set();
    liveWriters.set(file, live);
    // A writer of this file that is closing finishes first (in its own thread: see read-model-writer.ts).
    const closing = [...live].filter((writer) => writer.#closing).at(-1);
    const after = closing ? closing.#closed : null;
    const { port1, port2 } = new MessageChannel();
    const workerData: WriterData = { file, port: port2, closed: this.#closed, after, nice: WRITER_NICE };
    this.#worker = startWriter({ workerData, transferList: [port2] });
    this.#worker.unref();
    this.#port = port1;
    this.#port.on('message', (reply: WriterReply) => this.#accept(reply));
    this.#port.unref();
    this.#worker.on('error', (error: unknown) => this.#died(error instanceof Error ? error.message : String(error)));
    this.exited = new Promise((resolve) =>
      this.#worker.once('exit', () => {
        // The thread's last replies (a save done, then the close) may still be queued on the port
        // when its exit is heard: taken first, a save it finished is not counted as lost.
        this.settled();
        this.#died('the writer thread exited');
        live.delete(this);
        resolve();
      }),
    );
    live.add(this);
  }

  /** Hands one save to the thread; its rows and checkpoint are stored in one transaction, in order. */
  save(rows: { kind: string; id: string; record: unknown | null }[], position: bigint | null): void {
    this.sendRows(rows);
    this.commit(position);
  }

  /** Hands rows of the save being made to the thread (serialised now); `commit` ends that save. */
  sendRows(rows: { kind: string; id: string; record: unknown | null }[]): void {
    const send = (message: WriterMessage) => this.#port.postMessage(message);
    let batch: string[] = [];
    for (const { kind, id, record } of rows) {
      batch.push(kind, id, record === null ? '' : JSON.stringify(record));
      if (batch.length === 3 * ROWS_PER_MESSAGE) {
        send({ kind: 'rows', rows: batch });
        batch = [];
      }
    }
    if (batch.length > 0) send({ kind: 'rows', rows: batch });
  }

  /** Ends the save being made: the rows sent since the last save and this checkpoint are stored in one transaction. */
  commit(position: bigint | null): void {
    this.#port.postMessage({ kind: 'commit', position: position?.toString() ?? null } satisfies WriterMessage);
    if (this.#submitted++ === this.#done) this.#worker.ref();
  }

  /** True when every save handed over is finished; reads what the thread has answered so far. */
  settled(): boolean {
    for (let received = receiveMessageOnPort(this.#port); received; received = receiveMessageOnPort(this.#port)) this.#accept(received.message as WriterReply);
    return this.#done === this.#submitted;
  }

  whenSettled(): Promise<void> {
    if (this.settled()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** The thread stores every save handed over, closes its connection and exits. */
  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#worker.ref();
    this.#port.postMessage({ kind: 'close' } satisfies WriterMessage);
  }

  #accept(reply: WriterReply): void {
    if (reply.error !== null) this.error ??= reply.error;
    // A thread that died has had all its saves counted (see #died).
    if (this.#done < this.#submitted) this.#done += 1;
    this.#settle();
  }

  /** The thread failed or exited: nothing more will be stored, and no writer after it may wait for it. */
  #died(reason: string): void {
    if (this.#done < this.#submitted) this.error ??= reason;
    this.#done = this.#submitted;
    Atomics.store(this.#closed, 0, 1);
    Atomics.notify(this.#closed, 0);
    this.#settle();
  }

  #settle(): void {
    if (this.#done < this.#submitted) return;
    if (!this.#closing) this.#worker.unref();
    for (const resolve of this.#waiters.splice(0)) resolve();
  }
}

/**
 * Built code runs read-model-writer.js from dist/. Code run from TypeScript source (vitest, tsx) starts
 * ts-worker.mjs instead, which registers tsx inside the thread (on Node 20 a worker's entry module
 * does not go through the parent's loader hooks) and imports read-model-writer.ts.
 */
function startWriter(options: { workerData: WriterData; transferList: MessagePort[] }): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./read-model-writer.js', here), options);
  return new Worker(new URL('./ts-worker.mjs', here), { ...options, execArgv: [], argv: [new URL('./read-model-writer.ts', here).href] });
}
