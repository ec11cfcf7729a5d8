import type Database from 'better-sqlite3';

/**
 * How the store's connection holds its file. A WAL connection holds a shared lock on the file for as
 * long as it is open; in exclusive locking mode it also takes, at its first write, an exclusive lock
 * that it keeps. Another process (or store) needs that exclusive lock to open the file, so either lock
 * keeps it out: the exclusive one additionally keeps other connections from reading, and spares every
 * transaction its lock calls.
 */

/** Takes the exclusive lock, waiting for it as long as the connection's busy timeout says. */
export function lockExclusively(db: Database.Database): void {
  db.pragma('locking_mode = EXCLUSIVE');
  db.exec('BEGIN IMMEDIATE; COMMIT');
}

/** Drops to the shared lock, so that other connections (the read-ahead worker's) can read alongside. */
export function shareLock(db: Database.Database, anyRead: () => unknown): void {
  db.pragma('locking_mode = NORMAL');
  anyRead(); // the lock changes at the next access to the file
}

/**
 * Takes the exclusive lock back if no other connection holds the file now, without waiting; otherwise
 * stays with the shared lock, which is correct too.
 */
export function tryLockExclusively(db: Database.Database, busyTimeoutMs: number): boolean {
  db.pragma('busy_timeout = 0');
  try {
    lockExclusively(db);
    return true;
  } catch {
    if (db.inTransaction) db.exec('ROLLBACK');
    db.pragma('locking_mode = NORMAL');
    return false;
  } finally {
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  }
}
