import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { RecordKind } from './records.js';

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
 * 3: rows in a rowid table with no index at all. The writer thread, the only one that writes rows, keeps
 * the rowid of every (kind, id) in memory: a changed row is rewritten in place by rowid and a new one is
 * appended. Version 2 kept a unique index on (kind, id) instead; with random ids every write of a rebuild
 * was a random insert into that index (measured: upserts about three times slower than appends).
 */
const SCHEMA_VERSION = 3;

/**
 * The writer runs at the lowest scheduling priority (nice value; 0 is the main thread's). Storing rows can
 * always wait a moment, while the main thread applies events and answers requests; on a machine with few
 * cores the writer would otherwise take turns with it on the same core. Measured over a rebuild on two
 * cores: the main thread's time waiting for a core fell by about a third. (Lowering the event store's
 * read-ahead worker as well made things worse: the main thread then waited for its chunks instead.)
 */
const WRITER_NICE = 19;
/** How long `load` and `close` wait for the writer thread to finish what it was given. */
const WRITER_WAIT_MS = 60_000;

// Control cells shared with the writer thread.
const SUBMITTED = 0; // saves handed to the writer
const DONE = 1; // saves the writer finished (written or failed)
const CLOSED = 2; // 1 once the writer closed its connection

const INSERT = `INSERT INTO rows (kind, id, json) VALUES (?, ?, ?)`;
const UPDATE = `UPDATE rows SET json = ? WHERE rowid = ?`;
const REMOVE = `DELETE FROM rows WHERE rowid = ?`;
const SET_CHECKPOINT = `INSERT OR REPLACE INTO meta (key, value) VALUES ('position', ?)`;

/**
 * A save reaches the writer as a stream of `rows` messages and then one `commit`. Each `rows` message
 * holds a flat list `kind, id, JSON(record), kind, id, JSON(record), ...`, with an empty text for a
 * deleted row (a record's JSON never is). Plain strings are the cheapest thing to hand between threads:
 * copied as they are, with nothing to encode or split on either side. The writer opens its transaction
 * at the first `rows` of a save and commits it, with the checkpoint, at `commit`: a save is stored whole
 * or not at all.
 */
type WriterMessage = { kind: 'rows'; rows: string[] } | { kind: 'commit'; position: string | null } | { kind: 'close' };

/** Rows per `rows` message. */
const ROWS_PER_MESSAGE = 1000;

const WRITER_SOURCE = `
const { workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const { file, port, control, nice } = workerData;
try {
  require('node:os').setPriority(nice);
} catch {}
const db = new Database(file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = OFF');
db.pragma('cache_size = -65536');
const insert = db.prepare(${JSON.stringify(INSERT)});
const update = db.prepare(${JSON.stringify(UPDATE)});
const remove = db.prepare(${JSON.stringify(REMOVE)});
const setCheckpoint = db.prepare(${JSON.stringify(SET_CHECKPOINT)});
// Rowid of every stored row, by kind then id.
let rowids;
function loadRowids() {
  rowids = new Map();
  for (const [rowid, kind, id] of db.prepare('SELECT rowid, kind, id FROM rows').raw().iterate()) idsOf(kind).set(id, rowid);
}
function idsOf(kind) {
  let ids = rowids.get(kind);
  if (!ids) rowids.set(kind, (ids = new Map()));
  return ids;
}
loadRowids();
// The save being received: 'open' once its transaction began, 'failed' after an error (the rest of it is dropped).
let save = 'none';
let failure = null;
function writeRows(rows) {
  for (let i = 0; i < rows.length; i += 3) {
    const ids = idsOf(rows[i]);
    const id = rows[i + 1];
    const json = rows[i + 2];
    const rowid = ids.get(id);
    if (json === '') {
      if (rowid !== undefined) {
        remove.run(rowid);
        ids.delete(id);
      }
    } else if (rowid !== undefined) {
      update.run(json, rowid);
    } else {
      ids.set(id, insert.run(rows[i], id, json).lastInsertRowid);
    }
  }
}
function fail(error) {
  failure = String((error && error.message) || error);
  if (db.inTransaction) db.exec('ROLLBACK');
  // The rolled-back rows may have been added to or taken from the map: read it back.
  loadRowids();
  save = 'failed';
}
port.on('message', (message) => {
  if (message.kind === 'close') {
    if (db.inTransaction) db.exec('ROLLBACK');
    db.close();
    port.close();
    Atomics.store(control, ${CLOSED}, 1);
    Atomics.notify(control, ${CLOSED});
    return;
  }
  if (save === 'failed' && message.kind === 'rows') return;
  try {
    if (save === 'none') {
      db.exec('BEGIN');
      save = 'open';
    }
    if (message.kind === 'rows') {
      writeRows(message.rows);
      return;
    }
    if (save === 'open') {
      if (message.position !== null) setCheckpoint.run(message.position);
      db.exec('COMMIT');
    }
  } catch (error) {
    fail(error);
    if (message.kind === 'rows') return;
  }
  if (failure !== null) port.postMessage(failure);
  failure = null;
  save = 'none';
  Atomics.add(control, ${DONE}, 1);
  Atomics.notify(control, ${DONE});
});
`;

/**
 * The read models in `readmodels.sqlite`. Rows are written by a writer thread with its own connection,
 * each save in one transaction with its checkpoint and in the order given, while the projection goes on
 * applying events; `load` and `close` wait for it to finish what it was given.
 */
export class SqliteReadModelStore implements ReadModelStore {
  private readonly db: Database.Database;
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
      this.db.exec(`CREATE TABLE IF NOT EXISTS rows (kind TEXT NOT NULL, id TEXT NOT NULL, json TEXT NOT NULL);`);
      this.db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)`).run(String(SCHEMA_VERSION));
    } catch (error) {
      throw new Error(`Cannot open the read model file ${file}: ${(error as Error).message}`, { cause: error });
    }
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
    const writer = this.writer ?? this.startWriter();
    const send = (message: WriterMessage) => writer.port.postMessage(message);
    let batch: string[] = [];
    for (const { kind, id, record } of rows) {
      batch.push(kind, id, record === null ? '' : JSON.stringify(record));
      if (batch.length === 3 * ROWS_PER_MESSAGE) {
        send({ kind: 'rows', rows: batch });
        batch = [];
      }
    }
    if (batch.length > 0) send({ kind: 'rows', rows: batch });
    send({ kind: 'commit', position: position?.toString() ?? null });
    writer.submitted += 1;
    Atomics.store(writer.control, SUBMITTED, writer.submitted);
  }

  close(): void {
    const writer = this.writer;
    if (writer) {
      this.waitForWriter();
      writer.port.postMessage({ kind: 'close' } satisfies WriterMessage);
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
    const worker = new Worker(WRITER_SOURCE, { eval: true, workerData: { file: this.file, port: port2, control, driver, nice: WRITER_NICE }, transferList: [port2] });
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
