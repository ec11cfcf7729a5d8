import { describe, expect, it } from 'vitest';
import { fleetCountsProjection } from './fleet-counts-projection.js';
import { at, event, projectionUnderTest, registered } from './projection-test-kit.js';

const offline = (sensorId: string) => event('SensorWentOffline', { sensorId, lastHeartbeatAt: at(0), at: at(2), thresholdMs: 120_000 });
const scanning = (sensorId: string) => event('SensorStartedScanning', { sensorId, jobId: 'j-1', at: at(1) });

describe('fleet counts projection', () => {
  it('given sensors in two orgs, then each org counts its own by status', () => {
    const p = projectionUnderTest(fleetCountsProjection()).given(registered('s-1', 'one'), registered('s-2', 'two'), registered('s-3', 'three', 'org-b'), offline('s-1'), scanning('s-2'));
    expect(p.state.summary('org-a')).toEqual({ total: 2, online: 0, scanning: 1, offline: 1 });
    expect(p.state.summary('org-b')).toEqual({ total: 1, online: 1, scanning: 0, offline: 0 });
    expect(p.state.summary('org-z')).toEqual({ total: 0, online: 0, scanning: 0, offline: 0 });
  });

  it('when a sensor is deleted, then it no longer counts, and later events about it change nothing', () => {
    const p = projectionUnderTest(fleetCountsProjection()).given(registered('s-1', 'one'), registered('s-2', 'two'), offline('s-1'));
    p.when(event('SensorDeleted', { sensorId: 's-1' }));
    p.when(event('SensorCameOnline', { sensorId: 's-1', at: at(5), from: 'offline' }));
    expect(p.state.summary('org-a')).toEqual({ total: 1, online: 1, scanning: 0, offline: 0 });
  });

  it('when a live sensor registers again, then it counts once, as online', () => {
    const p = projectionUnderTest(fleetCountsProjection()).given(registered('s-1', 'one'), offline('s-1'));
    p.when(registered('s-1', 'one'));
    expect(p.state.summary('org-a')).toEqual({ total: 1, online: 1, scanning: 0, offline: 0 });
  });

  it('counts the same from stored sensor rows, deleted ones left out', () => {
    const loaded = fleetCountsProjection();
    const row = (id: string, status: string, deleted: boolean) => ({ kind: 'sensor' as const, record: { id, orgId: 'org-a', status, deleted } });
    loaded.load([row('s-1', 'offline', false), row('s-2', 'scanning', false), row('s-3', 'online', true)]);
    expect(loaded.state.summary('org-a')).toEqual({ total: 2, online: 0, scanning: 1, offline: 1 });
  });
});
