import { describe, expect, it } from 'vitest';
import { compareSensors, type FleetChange, type FleetSummary, type SensorRow } from '@harborguard/shared';
import { applyChange, applyChanges, filterSensors, matchesFilter, mergeChanges, registryWarning, summarize, visibleSensors } from './fleet';

function sensor(id: string, overrides: Partial<SensorRow> = {}): SensorRow {
  return {
    id,
    name: id,
    hostname: `${id}.example`,
    sameHostSensors: 0,
    status: 'online',
    lastHeartbeatAt: '2026-11-27T10:00:00.000Z',
    version: '1.0.0',
    os: 'linux',
    arch: 'amd64',
    capabilities: ['scan'],
    scannerVersions: {},
    registry: null,
    registryBindingLost: false,
    clockSkewMs: null,
    registeredAt: '2026-11-27T09:00:00.000Z',
    currentJobId: null,
    recentJobs: [],
    ...overrides,
  };
}

const summary = (total: number, online = 0, scanning = 0, offline = 0, sharedHosts = 0): FleetSummary => ({ total, online, scanning, offline, sharedHosts });
const names = (rows: SensorRow[]) => rows.map((row) => row.name);

describe('ordering', () => {
  it('shows the server\'s list order: offline first, online and scanning together, then by name ignoring case', () => {
    const rows = [
      sensor('a', { name: 'sensor-2' }),
      sensor('b', { name: 'sensor-10', status: 'scanning' }),
      sensor('c', { name: 'zulu', status: 'offline' }),
      sensor('d', { name: 'Alpha', status: 'offline' }),
      sensor('e', { name: 'alpha-2' }),
    ];
    expect(names(visibleSensors(rows, {}))).toEqual(['Alpha', 'zulu', 'alpha-2', 'sensor-10', 'sensor-2']);
  });

  it('labels an unnamed sensor by its host, and breaks ties on id so the order is stable', () => {
    const rows = [sensor('b', { name: 'x' }), sensor('a', { name: 'x' }), sensor('c', { name: '', hostname: 'w' })];
    expect(visibleSensors(rows, {}).map((r) => r.id)).toEqual(['c', 'a', 'b']);
  });
});

describe('filtering', () => {
  const registry = { id: 'r1', name: 'Harbor', status: 'ACTIVE' as const, reason: null };
  const fleet = [
    sensor('s1', { name: 'edge-01', hostname: 'node-a', status: 'offline', registry }),
    sensor('s2', { name: 'edge-02', hostname: 'node-b', status: 'scanning' }),
    sensor('s3', { name: 'core', hostname: 'EDGE-host', registry }),
  ];

  it('filters by status, registry and a case-insensitive search of name, host or id', () => {
    expect(names(visibleSensors(fleet, { status: 'scanning' }))).toEqual(['edge-02']);
    expect(names(visibleSensors(fleet, { registryId: 'r1' }))).toEqual(['edge-01', 'core']);
    expect(names(visibleSensors(fleet, { search: '  Edge ' }))).toEqual(['edge-01', 'core', 'edge-02']);
    expect(names(visibleSensors(fleet, { search: 'node-b' }))).toEqual(['edge-02']);
    expect(names(visibleSensors(fleet, { search: 'S3' }))).toEqual(['core']);
    expect(names(visibleSensors(fleet, { status: 'online', registryId: 'r1', search: 'core' }))).toEqual(['core']);
    expect(visibleSensors(fleet, { search: 'nothing' })).toEqual([]);
  });

  it('treats empty criteria as no filter', () => {
    expect(matchesFilter(fleet[0]!, { status: undefined, registryId: '', search: '' })).toBe(true);
  });

  it('counts statuses', () => {
    expect(summarize(fleet)).toEqual(summary(3, 1, 1, 1));
  });
});

describe('live changes', () => {
  it('upserts a sensor: a new one joins, a known one is replaced', () => {
    const rows = new Map([['s1', sensor('s1')]]);
    applyChange(rows, { kind: 'sensor', sensor: sensor('s2'), summary: summary(2, 2) });
    const returned = applyChange(rows, { kind: 'sensor', sensor: sensor('s1', { status: 'offline' }), summary: summary(2, 1, 0, 1) });
    expect(returned).toEqual(summary(2, 1, 0, 1));
    expect([...rows.keys()]).toEqual(['s1', 's2']);
    expect(rows.get('s1')!.status).toBe('offline');
  });

  it('removes a sensor, and ignores removing one it does not know', () => {
    const rows = new Map([['s1', sensor('s1')], ['s2', sensor('s2')]]);
    applyChange(rows, { kind: 'removed', sensorId: 's1', summary: summary(1, 1) });
    applyChange(rows, { kind: 'removed', sensorId: 'ghost', summary: summary(1, 1) });
    expect([...rows.keys()]).toEqual(['s2']);
  });

  it('replaces every row on reset', () => {
    const rows = new Map([['s1', sensor('s1')], ['s2', sensor('s2')]]);
    applyChange(rows, { kind: 'reset', sensors: [sensor('s3'), sensor('s4', { status: 'offline' })], summary: summary(2, 1, 0, 1) });
    expect([...rows.keys()]).toEqual(['s3', 's4']);
  });

  it('applies a batch in order, re-sorting a sensor that went offline to the top', () => {
    const rows = new Map([['a', sensor('a', { name: 'alpha' })], ['b', sensor('b', { name: 'bravo' })]]);
    const changes: FleetChange[] = [
      { kind: 'sensor', sensor: sensor('c', { name: 'charlie' }), summary: summary(3, 3) },
      { kind: 'sensor', sensor: sensor('b', { name: 'bravo', status: 'offline' }), summary: summary(3, 2, 0, 1) },
      { kind: 'removed', sensorId: 'a', summary: summary(2, 1, 0, 1) },
    ];
    expect(applyChanges(rows, changes)).toEqual(summary(2, 1, 0, 1));
    expect(names(visibleSensors(rows.values(), {}))).toEqual(['bravo', 'charlie']);
    expect(applyChanges(rows, [])).toBeNull();
  });
});

describe('merging into the display order', () => {
  const fleetOf = (rows: SensorRow[]) => new Map(rows.map((row) => [row.id, row]));

  it('keeps the order and swaps in new versions when only heartbeats change', () => {
    const rows = fleetOf([sensor('a', { name: 'alpha' }), sensor('b', { name: 'bravo', status: 'offline' })]);
    const sorted = [...rows.values()].sort(compareSensors);
    const beat = sensor('a', { name: 'alpha', lastHeartbeatAt: '2026-11-27T10:00:30.000Z' });
    const merged = mergeChanges(rows, sorted, [{ kind: 'sensor', sensor: beat, summary: summary(2, 1, 0, 1) }]);
    expect(names(merged)).toEqual(['bravo', 'alpha']);
    expect(merged[1]).toBe(beat);
  });

  it('re-sorts when a status, name or membership changes', () => {
    const rows = fleetOf([sensor('a', { name: 'alpha' }), sensor('b', { name: 'bravo' })]);
    let sorted = [...rows.values()].sort(compareSensors);
    sorted = mergeChanges(rows, sorted, [{ kind: 'sensor', sensor: sensor('b', { name: 'bravo', status: 'offline' }), summary: summary(2, 1, 0, 1) }]);
    expect(names(sorted)).toEqual(['bravo', 'alpha']);
    sorted = mergeChanges(rows, sorted, [{ kind: 'sensor', sensor: sensor('c', { name: 'aardvark', status: 'offline' }), summary: summary(3, 1, 0, 2) }]);
    expect(names(sorted)).toEqual(['aardvark', 'bravo', 'alpha']);
    sorted = mergeChanges(rows, sorted, [{ kind: 'removed', sensorId: 'b', summary: summary(2, 1, 0, 1) }]);
    expect(names(sorted)).toEqual(['aardvark', 'alpha']);
    sorted = mergeChanges(rows, sorted, [{ kind: 'sensor', sensor: sensor('a', { name: 'zulu', status: 'scanning' }), summary: summary(2, 0, 1, 1) }]);
    expect(names(sorted)).toEqual(['aardvark', 'zulu']);
    sorted = mergeChanges(rows, sorted, [{ kind: 'reset', sensors: [sensor('x'), sensor('y', { status: 'offline' })], summary: summary(2, 1, 0, 1) }]);
    expect(names(sorted)).toEqual(['y', 'x']);
  });

  it('filters an ordered list without reordering it', () => {
    const sorted = [sensor('b', { status: 'offline' }), sensor('a'), sensor('c')];
    expect(filterSensors(sorted, { status: 'online' }).map((r) => r.id)).toEqual(['a', 'c']);
    expect(filterSensors(sorted, {})).not.toBe(sorted);
  });

  it('at 10 000 sensors, merges a second of heartbeats into the same order and searches it', () => {
    const fleet = Array.from({ length: 10_000 }, (_, i) => sensor(`s${i}`, { name: `sensor-${i}`, status: i % 10 === 0 ? 'offline' : 'online' }));
    const rows = fleetOf(fleet);
    let sorted = [...rows.values()].sort(compareSensors);
    const order = sorted.map((row) => row.id);
    const beats: FleetChange[] = Array.from({ length: 333 }, (_, i) => ({
      kind: 'sensor',
      sensor: { ...rows.get(`s${i * 30}`)!, lastHeartbeatAt: '2026-11-27T10:01:00.000Z' },
      summary: summary(10_000, 9_000, 0, 1_000),
    }));
    sorted = mergeChanges(rows, sorted, beats);
    expect(sorted.map((row) => row.id)).toEqual(order);
    expect(sorted.find((row) => row.id === 's30')!.lastHeartbeatAt).toBe('2026-11-27T10:01:00.000Z');
    expect(filterSensors(sorted, { search: 'sensor-99' })).toHaveLength(111);
  });
});

describe('registry warnings', () => {
  it('warns on a lost binding or a registry in ERROR, not otherwise', () => {
    expect(registryWarning({ registry: null, registryBindingLost: true })).toMatch(/binding lost/);
    expect(registryWarning({ registry: { id: 'r', name: 'R', status: 'ERROR', reason: 'sensor edge-01 went offline' }, registryBindingLost: false })).toBe(
      'Registry in ERROR: sensor edge-01 went offline',
    );
    expect(registryWarning({ registry: { id: 'r', name: 'R', status: 'ACTIVE', reason: null }, registryBindingLost: false })).toBeNull();
    expect(registryWarning({ registry: null, registryBindingLost: false })).toBeNull();
  });
});
