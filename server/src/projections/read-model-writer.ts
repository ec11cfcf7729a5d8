import Database from 'better-sqlite3';
import { setPriority } from 'node:os';
import { workerData } from 'node:worker_threads';
import type { WriterData, WriterMessage, WriterReply } from './read-model-writer-protocol.js';

/**
 * The read-model writer thread (started by read-model-store.ts): the only connection that writes rows.
 * It keeps the rowid of every (kind, id) in memory, so a changed row is rewritten in place by rowid and
 * a new one appended, with no index to maintain.
 */

const { file, port, closed, after, nice } = workerData as WriterData;

try {
  // On Linux this sets the priority of this thread only.
  setPriority(nice);
} catch {
  // Not permitted here: the writer runs at the main thread's priority.
}

// A writer that wrote this file before in this process finishes first: its rows are in the rowids read below.
if (after) while (Atomics.load(after, 0) === 0) Atomics.wait(after, 0, 0);

const db = new Database(file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = OFF');
db.pragma('cache_size = -65536');
const insert = db.prepare('INSERT INTO rows (kind, id, json) VALUES (?, ?, ?)');
const update = db.prepare('UPDATE rows SET json = ? WHERE rowid = ?');
const remove = db.prepare('DELETE FROM rows WHERE rowid = ?');
const setCheckpoint = db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('position', ?)`);

/** Rowid of every stored row, by kind then id. */
let rowids = new Map<string, Map<string, number | bigint>>();

function loadRowids(): void {
  rowids = new Map();
  for (const [rowid, kind, id] of db.prepare('SELECT rowid, kind, id FROM rows').raw().iterate() as Iterable<[number, string, string]>) idsOf(kind).set(id, rowid);
}

function idsOf(kind: string): Map<string, number | bigint> {
  let ids = rowids.get(kind);
  if (!ids) rowids.set(kind, (ids = new Map()));
  return ids;
}

function writeRows(rows: string[]): void {
  for (let i = 0; i < rows.length; i += 3) {
    const ids = idsOf(rows[i]!);
    const id = rows[i + 1]!;
    const json = rows[i + 2]!;
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

/** The map no longer matches the table (after a rollback): read it back before the next save. */
let rowidsStale = true;

/** The save being received: 'open' once its transaction began, 'failed' after an error (the rest of it is dropped). */
let save: 'none' | 'open' | 'failed' = 'none';
let failure: string | null = null;

function fail(error: unknown): void {
  failure = error instanceof Error ? error.message : String(error);
  if (db.inTransaction) db.exec('ROLLBACK');
  // The rolled-back rows may have been added to or taken from the map.
  rowidsStale = true;
  save = 'failed';
}

function receive(message: WriterMessage): void {
  if (save === 'failed' && message.kind === 'rows') return;
  try {
    if (save === 'none') {
      db.exec('BEGIN');
      save = 'open';
      if (rowidsStale) loadRowids();
      rowidsStale = false;
    }
    if (message.kind === 'rows') return writeRows(message.rows);
    if (save === 'open') {
      if (message.kind === 'commit' && message.position !== null) setCheckpoint.run(message.position);
      db.exec('COMMIT');
    }
  } catch (error) {
    fail(error);
    if (message.kind === 'rows') return;
  }
  port.postMessage({ kind: 'done', error: failure } satisfies WriterReply);
  failure = null;
  save = 'none';
}

port.on('message', (message: WriterMessage) => {
  if (message.kind !== 'close') return receive(message);
  if (db.inTransaction) db.exec('ROLLBACK');
  db.close();
  Atomics.store(closed, 0, 1);
  Atomics.notify(closed, 0);
  port.close();
});
