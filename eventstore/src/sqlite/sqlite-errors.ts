import { EventStoreError, StoreUnavailable } from '../errors.js';

/** Driver error codes (better-sqlite3 exposes extended codes such as SQLITE_BUSY_SNAPSHOT). */
function sqliteCode(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : null;
}

/** Translates a driver error into the event store's errors, naming the file so operators can act on it. */
export function translateSqliteError(error: unknown, file: string, action: string): EventStoreError {
  if (error instanceof EventStoreError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = sqliteCode(error);
  if (code === null) return new EventStoreError(`Event store ${file}: ${action} failed: ${message}`, { cause: error });
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new StoreUnavailable(
      `Event store file ${file} is locked: another process holds it (only one process, and one store within it, may open the file at a time) [${code}]`,
      { cause: error },
    );
  }
  if (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT')) {
    return new StoreUnavailable(`Event store file ${file} is corrupt or not an event store database: ${message} [${code}]`, { cause: error });
  }
  if (/^SQLITE_(CANTOPEN|PERM|READONLY|IOERR|FULL|AUTH|NOMEM|NOLFS)/.test(code)) {
    return new StoreUnavailable(`Event store file ${file} is unavailable while ${action}: ${message} [${code}]`, { cause: error });
  }
  return new EventStoreError(`Event store ${file}: ${action} failed: ${message} [${code}]`, { cause: error });
}
