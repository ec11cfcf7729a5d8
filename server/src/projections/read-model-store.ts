import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
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

const SCHEMA_VERSION = 1;

export class SqliteReadModelStore implements ReadModelStore {
  private readonly db: Database.Database;
  private readonly upsert: Database.Statement;
  private readonly remove: Database.Statement;
  private readonly setCheckpoint: Database.Statement;

  constructor(file: string) {
    mkdirSync(dirname(file), { recursive: true });
    try {
      this.db = new Database(file);
      this.db.pragma('journal_mode = WAL');
      // The rows are disposable (the log rebuilds them), so no fsync is worth its cost here;
      // WAL still keeps the file whole when the process is killed.
      this.db.pragma('synchronous = OFF');
      this.db.pragma('cache_size = -65536');
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS rows (kind TEXT NOT NULL, id TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (kind, id)) WITHOUT ROWID;
      `);
      const version = this.db.prepare(`SELECT value FROM meta WHERE key = 'schema'`).pluck().get() as string | undefined;
      if (version !== undefined && Number(version) !== SCHEMA_VERSION) {
        // Rows of another shape: start over, the log has everything.
        this.db.exec(`DELETE FROM rows; DELETE FROM meta;`);
      }
      this.db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)`).run(String(SCHEMA_VERSION));
    } catch (error) {
      throw new Error(`Cannot open the read model file ${file}: ${(error as Error).message}`, { cause: error });
    }
    this.upsert = this.db.prepare(`INSERT OR REPLACE INTO rows (kind, id, json) VALUES (?, ?, ?)`);
    this.remove = this.db.prepare(`DELETE FROM rows WHERE kind = ? AND id = ?`);
    this.setCheckpoint = this.db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('position', ?)`);
  }

  load() {
    const position = this.db.prepare(`SELECT value FROM meta WHERE key = 'position'`).pluck().get() as string | undefined;
    const records = (this.db.prepare(`SELECT kind, json FROM rows`).raw().all() as [RecordKind, string][]).map(([kind, json]) => ({
      kind,
      record: JSON.parse(json) as unknown,
    }));
    return { position: position === undefined ? null : BigInt(position), records };
  }

  save(rows: { kind: RecordKind; id: string; record: unknown | null }[], position: bigint | null): void {
    this.db.transaction(() => {
      for (const { kind, id, record } of rows) {
        if (record === null) this.remove.run(kind, id);
        else this.upsert.run(kind, id, JSON.stringify(record));
      }
      if (position !== null) this.setCheckpoint.run(position.toString());
    })();
  }

  close(): void {
    this.db.close();
  }
}
