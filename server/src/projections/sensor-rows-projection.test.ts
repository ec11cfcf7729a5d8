import { describe, expect, it } from 'vitest';
import { at, event, projectionUnderTest, registered } from './projection-test-kit.js';
import { sensorRowsProjection } from './sensor-rows-projection.js';

const ids = { registryIdOf: (id: string) => id };
const offline = (sensorId: string, minute: number) => event('SensorWentOffline', { sensorId, lastHeartbeatAt: at(minute), at: at(minute + 2), thresholdMs: 120_000 }, minute + 2);
const online = (sensorId: string, minute: number) => event('SensorCameOnline', { sensorId, at: at(minute), from: 'offline' }, minute);
const bind = (sensorId: string, registryId: string) => event('SensorBoundToRegistry', { sensorId, registryId });
const fleet = () =>
  projectionUnderTest(sensorRowsProjection(ids)).given(
    registered('s-delta', 'delta'),
    registered('s-alpha', 'Alpha'),
    registered('s-charlie', 'charlie'),
    registered('s-bravo', 'bravo'),
    registered('s-other', 'aaa', 'org-b'),
    offline('s-charlie', 1),
    offline('s-delta', 1),
  );
const order = (p: ReturnType<typeof fleet>, orgId = 'org-a') => [...p.state.inOrder(orgId).ids];

describe('sensor rows projection', () => {
  it('given a fleet, then each org lists offline sensors first, then by name ignoring case', () => {
    const p = fleet();
    expect(order(p)).toEqual(['s-charlie', 's-delta', 's-alpha', 's-bravo']);
    expect(order(p, 'org-b')).toEqual(['s-other']);
    expect(p.state.sensors.get('s-delta')).toMatchObject({ status: 'offline', lastContactAt: at(1), currentJobId: null });
  });

  it('when sensors change after the list was read, then the order follows', () => {
    const p = fleet();
    order(p);
    expect(p.when(online('s-charlie', 5))).toEqual({ changed: ['s-charlie'], removed: [], touched: ['sensor:s-charlie'] });
    p.when(offline('s-alpha', 5));
    p.when(event('SensorDetailsChanged', { sensorId: 's-bravo', changes: { name: 'zulu' } }));
    expect(order(p)).toEqual(['s-alpha', 's-delta', 's-charlie', 's-bravo']);
  });

  it('when a sensor is deleted, then it leaves the list and its registry, keeps its record, and ignores later events', () => {
    const p = fleet().given(bind('s-alpha', 'r-1'), bind('s-bravo', 'r-1'));
    expect(p.when(event('SensorDeleted', { sensorId: 's-bravo' }))).toEqual({ changed: [], removed: ['s-bravo'], touched: ['sensor:s-bravo'] });
    expect(p.when(online('s-bravo', 9)).changed).toEqual([]);
    expect(order(p)).not.toContain('s-bravo');
    expect(p.state.boundSensorIds('r-1')).toEqual(['s-alpha']);
    expect(p.state.sensors.get('s-bravo')).toMatchObject({ deleted: true, status: 'online' });
    expect(p.state.live('s-bravo')).toBeUndefined();
  });

  it('when one sensor reports new capabilities, then the sensors that reported the same list keep theirs', () => {
    const p = fleet();
    p.when(event('SensorDetailsChanged', { sensorId: 's-alpha', changes: { capabilities: ['scan', 'patch'], scannerVersions: { trivy: '0.58.1' } } }));
    expect(p.state.sensors.get('s-alpha')).toMatchObject({ capabilities: ['scan', 'patch'], scannerVersions: { trivy: '0.58.1' } });
    expect(p.state.sensors.get('s-bravo')).toMatchObject({ capabilities: ['scan'], scannerVersions: {} });
    p.when(event('SensorDetailsChanged', { sensorId: 's-bravo', changes: { capabilities: ['scan', 'patch'] } }));
    expect(p.state.sensors.get('s-alpha')!.capabilities).toEqual(['scan', 'patch']);
    expect(p.state.sensors.get('s-delta')!.capabilities).toEqual(['scan']);
  });

  it('when a sensor is rebound, then it moves between registries', () => {
    const p = fleet().given(bind('s-alpha', 'r-1'));
    p.when(bind('s-alpha', 'r-2'));
    expect([p.state.boundSensorIds('r-1'), p.state.boundSensorIds('r-2')]).toEqual([[], ['s-alpha']]);
  });

  it('when a sensor scans and reports its clock, then the row shows the job and a skew beyond tolerance only', () => {
    const p = fleet();
    p.when(event('SensorStartedScanning', { sensorId: 's-alpha', jobId: 'j-1', at: at(3) }));
    expect(p.state.sensors.get('s-alpha')).toMatchObject({ status: 'scanning', currentJobId: 'j-1', lastContactAt: at(3) });
    const skew = (skewMs: number) => event('SensorClockSkewObserved', { sensorId: 's-alpha', skewMs, sensorTime: null, serverTime: at(4) });
    p.when(skew(90_000));
    expect(p.state.sensors.get('s-alpha')!.clockSkewMs).toBe(90_000);
    p.when(skew(1_000));
    expect(p.state.sensors.get('s-alpha')!.clockSkewMs).toBeNull();
  });

  it('loads stored rows into the same order and registry membership', () => {
    const live = fleet().given(bind('s-alpha', 'r-1'), event('SensorDeleted', { sensorId: 's-bravo' }));
    const loaded = sensorRowsProjection(ids);
    loaded.load([...live.state.sensors.values()].map((record) => ({ kind: 'sensor' as const, record: structuredClone(record) })));
    expect([...loaded.state.inOrder('org-a').ids]).toEqual(order(live));
    expect(loaded.state.boundSensorIds('r-1')).toEqual(['s-alpha']);
  });

  it('when a second connected sensor reports a host, then both rows say so and the org counts one shared host', () => {
    const p = fleet();
    const sameHost = (sensorId: string) => event('SensorDetailsChanged', { sensorId, changes: { hostname: 'node-1' } });
    p.given(sameHost('s-alpha'));
    expect(p.when(sameHost('s-bravo')).changed.sort()).toEqual(['s-alpha', 's-bravo']);
    const count = (id: string) => p.state.sameHostSensors(p.state.sensors.get(id)!);
    expect([count('s-alpha'), count('s-bravo'), count('s-other')]).toEqual([1, 1, 0]);
    expect([p.state.sharedHosts('org-a'), p.state.sharedHosts('org-b')]).toEqual([1, 0]);
    // Only connected sensors count: an offline one no longer shares the host.
    expect(p.when(offline('s-bravo', 3)).changed.sort()).toEqual(['s-alpha', 's-bravo']);
    expect([count('s-alpha'), p.state.sharedHosts('org-a')]).toEqual([0, 0]);
  });

  it('when last contacts are checkpointed, then rows keep the later contact, stored but not pushed live', () => {
    const p = fleet();
    const contacts = event('SensorContactsCheckpointed', { orgId: 'org-a', contacts: { 's-alpha': at(7), 's-delta': at(0), 's-other': at(7) } });
    expect(p.when(contacts)).toEqual({ changed: [], removed: [], touched: ['sensor:s-alpha'] });
    expect(p.state.sensors.get('s-alpha')!.lastContactAt).toBe(at(7));
    expect(p.state.sensors.get('s-delta')!.lastContactAt).toBe(at(1));
    expect(p.state.sensors.get('s-other')!.lastContactAt).toBe(at(0));
  });
});
