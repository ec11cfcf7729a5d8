import { describe, expect, it } from 'vitest';
import { compareSensors, matchesSensor, sensorSortKey } from './sensor-list.js';

const sensor = (id: string, name: string, status: 'online' | 'scanning' | 'offline', hostname = '') => ({ id, name, hostname, status });

describe('sensor list order', () => {
  it('puts offline sensors first, then orders by name without regard to case, then by id', () => {
    const rows = [sensor('3', 'beta', 'online'), sensor('2', 'Alpha', 'scanning'), sensor('1', 'zeta', 'offline'), sensor('0', 'alpha', 'online')];
    expect(rows.sort(compareSensors).map((s) => s.id)).toEqual(['1', '0', '2', '3']);
  });

  it('labels an unnamed sensor by its host, then by its id', () => {
    expect(sensorSortKey(sensor('abc', '', 'online', 'Node-7'))[1]).toBe('node-7');
    expect(sensorSortKey(sensor('ABC', '', 'online'))[1]).toBe('abc');
  });
});

describe('sensor search', () => {
  it('finds a case-insensitive part of the name, host or id, ignoring surrounding spaces', () => {
    const row = sensor('id-42', 'Scanner-EU', 'online', 'node-7');
    expect(matchesSensor(row, '  eu ')).toBe(true);
    expect(matchesSensor(row, 'NODE')).toBe(true);
    expect(matchesSensor(row, 'id-4')).toBe(true);
    expect(matchesSensor(row, 'us')).toBe(false);
    expect(matchesSensor(row, '   ')).toBe(true);
  });
});
