import { describe, expect, it } from 'vitest';
import type { SensorRow } from '@harborguard/shared';
import { pageOutdated, queryFromUrl, registryWarning, urlOfQuery, withChanges } from './fleet';

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

describe('the page link', () => {
  it('reads filters, search and the page cursor from the link, and writes the same link back', () => {
    const query = queryFromUrl(new URLSearchParams('status=offline&registry=r-1&q=%20edge%20&after=abc&page=3'));
    expect(query).toEqual({ status: 'offline', registryId: 'r-1', search: 'edge', cursor: 'abc', before: undefined, page: 3 });
    expect(urlOfQuery(query)).toBe('/sensors?status=offline&registry=r-1&q=edge&after=abc&page=3');
  });

  it('ignores what it does not know and leaves the first page bare', () => {
    expect(queryFromUrl(new URLSearchParams('status=sleeping&page=-2&q=%20'))).toEqual({ status: undefined, registryId: undefined, search: undefined, cursor: undefined, before: undefined, page: undefined });
    expect(urlOfQuery({ page: 1 })).toBe('/sensors');
  });
});

describe('live rows of a page', () => {
  it('swaps changed rows in where they are, leaving the others', () => {
    const rows = [sensor('a'), sensor('b'), sensor('c')];
    const next = withChanges(rows, [sensor('b', { status: 'scanning' }), sensor('zz')]);
    expect(next.map((row) => [row.id, row.status])).toEqual([['a', 'online'], ['b', 'scanning'], ['c', 'online']]);
  });

  it('calls a page out of date when a row is gone, moved or changed status, not for a newer heartbeat', () => {
    const rows = [sensor('a'), sensor('b')];
    expect(pageOutdated(rows, [sensor('a', { lastHeartbeatAt: '2026-11-27T10:05:00.000Z' }), sensor('b')])).toBe(false);
    expect(pageOutdated(rows, [sensor('a')])).toBe(true);
    expect(pageOutdated(rows, [sensor('a', { status: 'offline' }), sensor('b')])).toBe(true);
    expect(pageOutdated(rows, [sensor('a', { status: 'scanning' }), sensor('b')])).toBe(true);
    expect(pageOutdated(rows, [sensor('a', { name: 'zulu' }), sensor('b')])).toBe(true);
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
