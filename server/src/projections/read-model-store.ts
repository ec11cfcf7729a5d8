import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { RecordKind } from './records.js';
import { whenWritesSettled, writesSettled, WriterThread } from './read-model-writer-thread.js';

export interface StoredReadModels {
  position: bigint | null;
  records: { kind: RecordKind; record: unknown }[];
}

export interface StoredRow {
  kind: RecordKind;
  id: string;
  record: unknown | null;
}

/**
 * Where the read models are kept between runs: every row as JSON, and the position of the
 * last event they include, written in one transaction so rows and checkpoint never disagree.
 * Deleting the file is always safe: the models are rebuilt from the event log.
 *
 * `save` hands rows over and returns; they may be stored later. `load` returns what is stored, or
 * throws if saves are still being written; `loadAsync` waits for them first. `close` returns at once
 * (the rows handed over are still stored); `closeAsync` resolves once they are, or rejects saying why not.
 */
export interface ReadModelStore {
  load(): StoredReadModels;
  loadAsync(): Promise<StoredReadModels>;
  save(rows: StoredRow[], position: bigint | null): void;
  /**
   * The same as `save`, serialising `rowsPerSlice` rows per turn of the event loop, so that many
   * rows never hold the thread for long. Errors known now are thrown at once, as `save` does. Until
   * it resolves the rows must not change and no other save may begin.
   */
  saveInSlices(rows: StoredRow[], position: bigint | null, rowsPerSlice: number): Promise<void>;
  close(): void;
  closeAsync(): Promise<void>;
}

/** For tests and for runs that rebuild at every start. */
export class MemoryReadModelStore implements ReadModelStore {
  private readonly rows = new Map<string, { kind: RecordKind; json: string }>();
  private position: bigint | null = null;

  load(): StoredReadModels {
    return { position: this.position, records: [...this.rows.values()].map(({ kind, json }) => ({ kind, record: JSON.parse(json) as unknown })) };
  }

  async loadAsync(): Promise<StoredReadModels> {
    return this.load();
  }

  save(rows: StoredRow[], position: bigint | null): void {
    this.put(rows);
    this.position = position;
  }

  saveInSlices(rows: StoredRow[], position: bigint | null, rowsPerSlice: number): Promise<void> {
    return inSlices(rows, rowsPerSlice, (slice) => this.put(slice)).then(() => void (this.position = position));
  }

  private put(rows: StoredRow[]): void {
    for (const { kind, id, record } of rows) {
      if (record === null) this.rows.delete(`${kind}:${id}`);
      else this.rows.set(`${kind}:${id}`, { kind, json: JSON.stringify(record) });
    }
  }

  close(): void {}

  async closeAsync(): Promise<void> {}
}

/**
 * 3: rows in a rowid table with no index at all; the writer thread, the only one that writes rows, keeps
 * the rowid of every (kind, id) in memory (see read-model-writer.ts).
 */
const SCHEMA_VERSION = 3;

/**
 * The read models in `readmodels.sqlite`. Rows are written by a writer thread with its own connection
 * (read-model-writer.ts), each save in one transaction with its checkpoint and in the order given, while
 * the projection goes on applying events. Nothing here waits for that thread: `loadAsync` and
 * `closeAsync` await it, and `load` refuses to read while saves are still being written.
 */
export class SqliteReadModelStore implements ReadModelStore {
  private readonly db: Database.Database;
  private writer: WriterThread | null = null;
  private closing: Promise<void> | null = null;

  /** `log` hears of a failed write that no caller is left to be told about (after `close`). Default: stderr. */
  constructor(
    private readonly file: string,
    private readonly log: (line: string) => void = (line) => console.error(line),
  ) {
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
      // Written only when needed: a file already in this shape is only read here, so opening it never
      // waits for a writer thread of this process still finishing its saves.
      if (version !== String(SCHEMA_VERSION)) {
        // Rows of another shape (or none yet): start over, the log has everything.
        this.db.exec(`DROP TABLE IF EXISTS rows; DELETE FROM meta;`);
        this.db.exec(`CREATE TABLE rows (kind TEXT NOT NULL, id TEXT NOT NULL, json TEXT NOT NULL);`);
        this.db.prepare(`INSERT INTO meta (key, value) VALUES ('schema', ?)`).run(String(SCHEMA_VERSION));
      }
    } catch (error) {
      throw new Error(`Cannot open the read model file ${file}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Throws rather than wait while saves given to a writer of this file in this process are being written. */
  load(): StoredReadModels {
    this.throwWriteError();
    if (!writesSettled(this.file)) throw new Error(`The read model file ${this.file} is still being written: load it with loadAsync()`);
    return this.read();
  }

  async loadAsync(): Promise<StoredReadModels> {
    await whenWritesSettled(this.file);
    this.throwWriteError();
    return this.read();
  }

  save(rows: StoredRow[], position: bigint | null): void {
    this.writerForSave().save(rows, position);
  }

  saveInSlices(rows: StoredRow[], position: bigint | null, rowsPerSlice: number): Promise<void> {
    const writer = this.writerForSave();
    return inSlices(rows, rowsPerSlice, (slice) => writer.sendRows(slice)).then(() => writer.commit(position));
  }

  private writerForSave(): WriterThread {
    this.throwWriteError();
    if (this.closing) throw new Error(`The read model file ${this.file} is closed`);
    return (this.writer ??= new WriterThread(this.file));
  }

  /** Never waits: the writer stores what it was given and then closes; a failure then goes to `log`. */
  close(): void {
    if (this.closing) return;
    this.closeAsync().catch((error: unknown) => this.log((error as Error).message));
  }

  closeAsync(): Promise<void> {
    this.closing ??= (async () => {
      this.db.close();
      const writer = this.writer;
      if (!writer) return;
      writer.close();
      await writer.exited;
      this.throwWriteError();
    })();
    return this.closing;
  }

  /** Rows and checkpoint as of one moment: the writer may commit meanwhile. */
  private read(): StoredReadModels {
    return this.db.transaction(() => {
      const position = this.db.prepare(`SELECT value FROM meta WHERE key = 'position'`).pluck().get() as string | undefined;
      // Row by row: each row's JSON text is garbage once parsed, so loading never holds every
      // row twice (text and object), which at a million sensors is more than the heap has room for.
      const records: StoredReadModels['records'] = [];
      for (const [kind, json] of this.db.prepare(`SELECT kind, json FROM rows`).raw().iterate() as IterableIterator<[RecordKind, string]>) {
        records.push({ kind, record: JSON.parse(json) as unknown });
      }
      return { position: position === undefined ? null : BigInt(position), records };
    })();
  }

  private throwWriteError(): void {
    const error = this.writer && (this.writer.settled(), this.writer.error);
    if (error) throw new Error(`Writing the read model file ${this.file} failed: ${error}`);
  }
}

/** Hands `rows` to `take` a slice at a time, the first slice now and each next one in a later turn of the event loop. */
async function inSlices(rows: StoredRow[], rowsPerSlice: number, take: (slice: StoredRow[]) => void): Promise<void> {
  for (let from = 0; from < rows.length; from += rowsPerSlice) {
    if (from > 0) await nextTurn();
    take(rows.slice(from, from + rowsPerSlice));
  }
}
