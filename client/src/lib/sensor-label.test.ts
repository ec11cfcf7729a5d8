import { describe, expect, it } from 'vitest';
import { detailsMissing, sameHostWarning, sensorLabel } from './sensor-label';

describe('sensor labels', () => {
  it('names a sensor by its name, else its host, else as an unnamed sensor with a short id', () => {
    expect(sensorLabel({ id: 'abcdef0123456789', name: 'scanner', hostname: 'node-1' })).toBe('scanner');
    expect(sensorLabel({ id: 'abcdef0123456789', name: '', hostname: 'node-1' })).toBe('node-1');
    expect(sensorLabel({ id: 'abcdef0123456789', name: '', hostname: '' })).toBe('unnamed sensor abcdef01');
    expect(detailsMissing({ name: '', hostname: '' })).toBe(true);
  });

  it('warns only when another connected sensor shares the host', () => {
    expect(sameHostWarning({ hostname: 'node-1', sameHostSensors: 0 })).toBeNull();
    expect(sameHostWarning({ hostname: 'node-1', sameHostSensors: 2 })).toContain('2 other connected sensors report host node-1');
  });
});
