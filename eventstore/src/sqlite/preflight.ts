import { closeSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { StoreUnavailable } from '../errors.js';

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Checks the path before the driver sees it: the parent directory exists (created if missing) and an
 * existing non-empty file starts with the SQLite header. A file that does not is refused untouched,
 * rather than relying on the driver never to write to it.
 */
export function preflight(file: string): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
  } catch (error) {
    throw new StoreUnavailable(`Cannot create the directory for event store file ${file}: ${reason(error)}`, { cause: error });
  }
  let size: number;
  try {
    const stat = statSync(file);
    if (stat.isDirectory()) throw new StoreUnavailable(`Event store file ${file} is a directory, not a database file`);
    size = stat.size;
  } catch (error) {
    if (error instanceof StoreUnavailable) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new StoreUnavailable(`Event store file ${file} cannot be inspected: ${reason(error)}`, { cause: error });
  }
  if (size === 0) return;
  const header = Buffer.alloc(SQLITE_HEADER.length);
  let read: number;
  try {
    const fd = openSync(file, 'r');
    try {
      read = readSync(fd, header, 0, header.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw new StoreUnavailable(`Event store file ${file} is not readable: ${reason(error)}`, { cause: error });
  }
  if (read < header.length || !header.equals(SQLITE_HEADER)) {
    throw new StoreUnavailable(`Event store file ${file} is corrupt or not an event store database (no SQLite header); it was left untouched`);
  }
}
