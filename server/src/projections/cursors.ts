import { AppError } from '../domain/errors.js';

/** A list's cursor: the sort key of the row it follows, opaque to clients. */
export const encodeCursor = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The value a cursor carries, when it is one `valid` accepts; else a 400 naming the cursor. */
export function decodeCursor<T>(cursor: string, valid: (value: unknown) => value is T): T {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (valid(value)) return value;
  } catch {
    // fall through
  }
  throw new AppError('bad_request', 'cursor: not a cursor this list returned');
}
