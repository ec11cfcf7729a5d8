import { describe, expect, it } from 'vitest';
import { describeError, errorMessage, isUnauthorized } from './errors';

describe('describeError', () => {
  it('reads tRPC client errors: message, code and status', () => {
    const error = Object.assign(new Error('name: must not be empty'), { data: { code: 'BAD_REQUEST', httpStatus: 400 } });
    expect(describeError(error)).toEqual({ message: 'name: must not be empty', code: 'BAD_REQUEST', httpStatus: 400 });
  });

  it('reads the error shape of a subscription', () => {
    expect(describeError({ message: 'Invalid token', shape: { data: { code: 'UNAUTHORIZED', httpStatus: 401 } } })).toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('explains network failures and never returns an empty message', () => {
    expect(errorMessage(new TypeError('Failed to fetch'))).toMatch(/Cannot reach the HarborGuard server/);
    expect(errorMessage(new Error(''))).toBe('Something went wrong');
    expect(errorMessage('plain text')).toBe('plain text');
    expect(errorMessage(undefined)).toBe('Something went wrong');
  });

  it('recognises a sign-in that is no longer valid', () => {
    expect(isUnauthorized({ message: 'x', data: { code: 'UNAUTHORIZED', httpStatus: 401 } })).toBe(true);
    expect(isUnauthorized({ message: 'x', data: { code: 'FORBIDDEN', httpStatus: 403 } })).toBe(false);
  });
});
