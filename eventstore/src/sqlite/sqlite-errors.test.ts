import { describe, expect, it } from 'vitest';
import { EventStoreError, StoreUnavailable, WrongExpectedVersion } from '../errors.js';
import { translateSqliteError } from './sqlite-errors.js';

const driverError = (code: string, message = 'driver says no') => Object.assign(new Error(message), { code });
const file = '/var/lib/harborguard/events.db';

describe('translateSqliteError', () => {
  it.each(['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED'])('reports %s as the file being held by another process', (code) => {
    const error = translateSqliteError(driverError(code), file, 'opening');
    expect(error).toBeInstanceOf(StoreUnavailable);
    expect(error.message).toContain(file);
    expect(error.message).toContain('another process');
    expect(error.cause).toMatchObject({ code });
  });

  it.each(['SQLITE_NOTADB', 'SQLITE_CORRUPT', 'SQLITE_CORRUPT_INDEX'])('reports %s as a corrupt file', (code) => {
    const error = translateSqliteError(driverError(code), file, 'reading $all');
    expect(error).toBeInstanceOf(StoreUnavailable);
    expect(error.message).toContain(file);
    expect(error.message).toContain('corrupt');
  });

  it.each(['SQLITE_CANTOPEN', 'SQLITE_IOERR_SHORT_READ', 'SQLITE_FULL', 'SQLITE_READONLY', 'SQLITE_PERM'])('reports %s as the store being unavailable', (code) => {
    const error = translateSqliteError(driverError(code, 'disk trouble'), file, 'appending');
    expect(error).toBeInstanceOf(StoreUnavailable);
    expect(error.message).toBe(`Event store file ${file} is unavailable while appending: disk trouble [${code}]`);
  });

  it('wraps other driver and unknown errors as EventStoreError, keeping the cause', () => {
    const constraint = translateSqliteError(driverError('SQLITE_CONSTRAINT_UNIQUE'), file, 'appending');
    expect(constraint).toBeInstanceOf(EventStoreError);
    expect(constraint).not.toBeInstanceOf(StoreUnavailable);
    const cause = new TypeError('boom');
    const unknown = translateSqliteError(cause, file, 'reading a stream');
    expect(unknown.message).toContain('reading a stream failed: boom');
    expect(unknown.cause).toBe(cause);
  });

  it('passes the event store errors through unchanged', () => {
    const wrong = new WrongExpectedVersion('s', 'no_stream', 0n);
    expect(translateSqliteError(wrong, file, 'appending')).toBe(wrong);
  });
});
