import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { RecordKind } from '../domain/fleet-model.js';

/**
 * Where the read models are kept between runs: every row as JSON, and the position of the
 * last event they include, written in one transaction so rows and checkpoint never disagree.
 * Deleting the file is always safe: the models are rebuilt from the event log.
 */
export interface ReadModelStore {
  load(): { position: bigint | null; records: { kind: RecordKind; record: unknown }[] };
  save(rows: { kind: RecordKind; id: string; record: unknown | null }[], position: bigint | null): void;
  close(): void;
}

/** For tests and for runs that rebuild at every start. */
export class MemoryReadModelStore implements ReadModelStore {
  private readonly rows = new Map<string, { kind: RecordKind; json: string }>();
  private position: bigint | null = null;

  load() {
    return { position: this.position, records: [...this.rows.values()].map(({ kind, json }) => ({ kind, record: JSON.parse(json) as unknown })) };
  }

  save(rows: { kind: RecordKind; id: string; record: unknown | null }[], position: bigint | null): void {
    for (const { kind, id, record } of rows) {
      if (record === null) this.rows.delete(`${kind}:${id}`);
      else this.rows.set(`${kind}:${id}`, { kind, json: JSON.stringify(record) });
    }
    this.position = position;
  }

  close(): void {}
}

/**
 * 2: rows in a rowid table (appended in write order) with a unique index on (kind, id), instead of a
 * WITHOUT ROWID table keyed by (kind, id): rows of a few hundred bytes each made every write of a
 * rebuild a random insert into a large b-tree (measured: about half the write time).
 */
const SCHEMA_VERSION = 2;

/** A save of at least this many rows hands writing over to the writer thread (for good). */
const WRITER_AFTER_ROWS = 5_000;
/** How long `load` and `close` wait for the writer thread to finish what it was given. */
const WRITER_WAIT_MS = 60_000;

// Control cells shared with the writer thread.
const SUBMITTED = 0; // saves handed to the writer
const DONE = 1; // saves the writer finished (written or failed)
const CLOSED = 2; // 1 once the writer closed its connection

const UPSERT = `INSERT INTO rows (kind, id, json) VALUES (?, ?, ?) ON CONFLICT (kind, id) DO UPDATE SET json = excluded.json`;
const REMOVE = `DELETE FROM rows WHERE kind = ? AND id = ?`;
const SET_CHECKPOINT = `INSERT OR REPLACE INTO meta (key, value) VALUES ('position', ?)`;

/**
 * One save as the writer receives it: a few long strings rather than three per row, which are far
 * cheaper to hand between threads. Each row is a line `kind TAB JSON(id) TAB JSON(record)`, with
 * nothing after the second tab for a deleted row; JSON text never holds a raw tab or newline, and
 * kinds are fixed words.
 */
interface Batch {
  parts: string[];
  position: string | null;
}
const ROWS_PER_PART = 200;

const WRITER_SOURCE = `
const { workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const { file, port, control } = workerData;
const db = new Database(file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = OFF');
db.pragma('cache_size = -65536');
const upsert = db.prepare(${JSON.stringify(UPSERT)});
const remove = db.prepare(${JSON.stringify(REMOVE)});
const setCheckpoint = db.prepare(${JSON.stringify(SET_CHECKPOINT)});
const write = db.transaction((batch) => {
  for (const part of batch.parts) {
    for (const line of part.split('\\n')) {
      const first = line.indexOf('\\t');
      const second = line.indexOf('\\t', first + 1);
      const kind = line.slice(0, first);
      const id = JSON.parse(line.slice(first + 1, second));
      if (second === line.length - 1) remove.run(kind, id);
      else upsert.run(kind, id, line.slice(second + 1));
    }
  }
  if (batch.position !== null) setCheckpoint.run(batch.position);
});
port.on('message', (message) => {
  if (message === 'close') {
    db.close();
    port.close();
    Atomics.store(control, ${CLOSED}, 1);
    Atomics.notify(control, ${CLOSED});
    return;
  }
  try {
    write(message);
  } catch (error) {
    port.postMessage(String((error && error.message) || error));
  }
  Atomics.add(control, ${DONE}, 1);
  Atomics.notify(control, ${DONE});
});
`;

/**
 * The read models in `readmodels.sqlite`. Small saves (the steady trickle while following the log) are
 * written in place. The first large one (a rebuild catching up) starts a writer thread with its own
 * connection, which then writes every save in order, each in one transaction as before, while the
 * projection goes on applying events; `load` and `close` wait for it to finish.
 */
export class SqliteReadModelStore implements ReadModelStore {
  private readonly db: Database.Database;
  private readonly upsert: Database.Statement;
  private readonly remove: Database.Statement;
  private readonly setCheckpoint: Database.Statement;
  private writer: { worker: Worker; port: MessagePort; control: Int32Array; submitted: number } | null = null;
  private writeError: string | null = null;

  constructor(private readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
    try {
      this.db = new Database(file);
      this.db.pragma('journal_mode = WAL');
      // The rows are disposable (the log rebuilds them), so no fsync is worth its cost here;
      // WAL still keeps the file whole when the process is killed.
      this.db.pragma('synchronous = OFF');
      this.db.pragma('cache_size = -65536');
      this.db.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);`);
      const version = this.db.prepare(`SELECT value FROM meta WHERE key = 'schema'`).pluck().get() as string | undefined;
      if (version !== undefined && Number(version) !== SCHEMA_VERSION) {
        // Rows of another shape: start over, the log has everything.
        this.db.exec(`DROP TABLE IF EXISTS rows; DELETE FROM meta;`);
      }
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS rows (kind TEXT NOT NULL, id TEXT NOT NULL, json TEXT NOT NULL);
        CREATE UNIQUE INDEX IF NOT EXISTS rows_key ON rows (kind, id);
      `);
      this.db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)`).run(String(SCHEMA_VERSION));
    } catch (error) {
      throw new Error(`Cannot open the read model file ${file}: ${(error as Error).message}`, { cause: error });
    }
    this.upsert = this.db.prepare(UPSERT);
    this.remove = this.db.prepare(REMOVE);
    this.setCheckpoint = this.db.prepare(SET_CHECKPOINT);
  }

  load() {
    this.waitForWriter();
    const position = this.db.prepare(`SELECT value FROM meta WHERE key = 'position'`).pluck().get() as string | undefined;
    const records = (this.db.prepare(`SELECT kind, json FROM rows`).raw().all() as [RecordKind, string][]).map(([kind, json]) => ({
      kind,
      record: JSON.parse(json) as unknown,
    }));
    return { position: position === undefined ? null : BigInt(position), records };
  }

  save(rows: { kind: RecordKind; id: string; record: unknown | null }[], position: bigint | null): void {
    this.throwWriteError();
    if (this.writer || rows.length >= WRITER_AFTER_ROWS) {
      const batch: Batch = { parts: [], position: position?.toString() ?? null };
      for (let start = 0; start < rows.length; start += ROWS_PER_PART) {
        const lines = rows.slice(start, start + ROWS_PER_PART).map(({ kind, id, record }) => `${kind}\t${JSON.stringify(id)}\t${record === null ? '' : JSON.stringify(record)}`);
        batch.parts.push(lines.join('\n'));
      }
      const writer = this.writer ?? this.startWriter();
      writer.port.postMessage(batch);
      writer.submitted += 1;
      Atomics.store(writer.control, SUBMITTED, writer.submitted);
      return;
    }
    this.db.transaction(() => {
      for (const { kind, id, record } of rows) {
        if (record === null) this.remove.run(kind, id);
        else this.upsert.run(kind, id, JSON.stringify(record));
      }
      if (position !== null) this.setCheckpoint.run(position.toString());
    })();
  }

  close(): void {
    const writer = this.writer;
    if (writer) {
      this.waitForWriter();
      writer.port.postMessage('close');
      const deadline = Date.now() + WRITER_WAIT_MS;
      while (Atomics.load(writer.control, CLOSED) === 0 && Date.now() < deadline) Atomics.wait(writer.control, CLOSED, 0, 100);
      writer.port.close();
      void writer.worker.terminate();
      this.writer = null;
    }
    this.db.close();
    this.throwWriteError();
  }

  private startWriter() {
    const control = new Int32Array(new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT));
    const { port1, port2 } = new MessageChannel();
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WRITER_SOURCE, { eval: true, workerData: { file: this.file, port: port2, control, driver }, transferList: [port2] });
    worker.unref();
    worker.on('error', (error) => {
      this.writeError ??= error.message;
      Atomics.store(control, DONE, 0x7fffffff);
      Atomics.notify(control, DONE);
    });
    this.writer = { worker, port: port1, control, submitted: 0 };
    return this.writer;
  }

  /** Blocks until the writer thread has finished every save handed to it. */
  private waitForWriter(): void {
    const writer = this.writer;
    if (!writer) return;
    const deadline = Date.now() + WRITER_WAIT_MS;
    for (;;) {
      const done = Atomics.load(writer.control, DONE);
      if (done >= writer.submitted) break;
      if (Date.now() >= deadline) throw new Error(`The read model file ${this.file} is not written: its writer stopped answering`);
      Atomics.wait(writer.control, DONE, done, 100);
    }
    this.throwWriteError();
  }

  private throwWriteError(): void {
    const received = this.writer && (receiveMessageOnPort(this.writer.port) as { message: string } | undefined);
    if (received) this.writeError ??= received.message;
    if (this.writeError !== null) throw new Error(`Writing the read model file ${this.file} failed: ${this.writeError}`);
  }
}
