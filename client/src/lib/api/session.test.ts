import { describe, expect, it } from 'vitest';
import { hasRole } from './session';

describe('hasRole', () => {
  it('orders auditor < operator < admin', () => {
    expect(hasRole('auditor', 'auditor')).toBe(true);
    expect(hasRole('auditor', 'operator')).toBe(false);
    expect(hasRole('operator', 'operator')).toBe(true);
    expect(hasRole('operator', 'admin')).toBe(false);
    expect(hasRole('admin', 'operator')).toBe(true);
    expect(hasRole(null, 'auditor')).toBe(false);
  });
});
