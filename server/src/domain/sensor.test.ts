import { describe, expect, it } from 'vitest';
import { bindingLost, evolveSensor, sensorDecider, type SensorDetails, type SensorEvent } from './sensor.js';
import { deciderSpec, SPEC_TIME } from './testing/given-when-then.js';

const given = deciderSpec(sensorDecider);
const details: SensorDetails = { name: 'scanner-eu-1', hostname: 'node-7', version: '0.1.0', os: 'linux', arch: 'amd64', capabilities: ['scan'], scannerVersions: { trivy: '0.58.1' } };
const registered: SensorEvent = { type: 'SensorRegistered', data: { sensorId: 's1', orgId: 'o1', apiKeyId: 'k1', autoCreated: false, ...details } };
const deleted: SensorEvent = { type: 'SensorDeleted', data: { sensorId: 's1' } };
const bound: SensorEvent = { type: 'SensorBoundToRegistry', data: { sensorId: 's1', registryId: 'r1' } };
const register = (changes: Partial<SensorDetails> = {}) => ({ type: 'Register', sensorId: 's1', orgId: 'o1', apiKeyId: 'k1', details: { ...details, ...changes }, autoCreated: false }) as const;
const autoCreate = { type: 'Register', sensorId: 's1', orgId: 'o1', apiKeyId: 'k1', autoCreated: true } as const;

describe('sensor decider', () => {
  describe('registration', () => {
    it('registers a new sensor with its details', () => given([]).when(register()).then([registered]));
    it('is idempotent: the same details again record nothing', () => given([registered]).when(register()).then([]));
    it('records only what changed', () =>
      given([registered])
        .when(register({ version: '0.2.0', capabilities: ['scan', 'patch'] }))
        .then([{ type: 'SensorDetailsChanged', data: { sensorId: 's1', changes: { version: '0.2.0', capabilities: ['scan', 'patch'] } } }]));
    it('a registration with another key of the org moves the sensor to that key', () =>
      given([registered])
        .when({ ...register({ version: '0.2.0' }), apiKeyId: 'k2' })
        .then([
          { type: 'SensorApiKeyChanged', data: { sensorId: 's1', apiKeyId: 'k2', previousApiKeyId: 'k1' } },
          { type: 'SensorDetailsChanged', data: { sensorId: 's1', changes: { version: '0.2.0' } } },
        ]));
    it('another org never sees or changes the sensor', () => given([registered]).when({ ...register(), orgId: 'o2' }).thenFails('not_found'));
  });

  describe('a request from an id with no live sensor', () => {
    it('creates a row without details for an unknown id', () =>
      given([])
        .when(autoCreate)
        .then([{ type: 'SensorRegistered', data: { sensorId: 's1', orgId: 'o1', apiKeyId: 'k1', autoCreated: true, name: '', hostname: '', version: '', os: '', arch: '', capabilities: [], scannerVersions: {} } }]));
    it('brings a deleted sensor back with the details it had', () =>
      given([registered, deleted]).when(autoCreate).then([{ type: 'SensorRegistered', data: { ...registered.data, autoCreated: true } } as SensorEvent]));
    it('does nothing for a live sensor', () => given([registered]).when(autoCreate).then([]));
  });

  describe('binding', () => {
    it('binds to a registry', () => given([registered]).when({ type: 'Bind', sensorId: 's1', orgId: 'o1', registryId: 'r1' }).then([bound]));
    it('binding again to the same registry records nothing', () => given([registered, bound]).when({ type: 'Bind', sensorId: 's1', orgId: 'o1', registryId: 'r1' }).then([]));
    it('rebinding names the registry it leaves', () =>
      given([registered, bound])
        .when({ type: 'Bind', sensorId: 's1', orgId: 'o1', registryId: 'r2' })
        .then([{ type: 'SensorBoundToRegistry', data: { sensorId: 's1', registryId: 'r2', previousRegistryId: 'r1' } }]));
    it('a deleted sensor cannot be bound', () => given([registered, deleted]).when({ type: 'Bind', sensorId: 's1', orgId: 'o1', registryId: 'r1' }).thenFails('not_found'));
  });

  describe('deletion', () => {
    it('deletes a live sensor', () => given([registered]).when({ type: 'Delete', sensorId: 's1', orgId: 'o1' }).then([deleted]));
    it('answers "not found" for an unknown or already deleted sensor', () => {
      given([]).when({ type: 'Delete', sensorId: 's1', orgId: 'o1' }).thenFails('not_found');
      given([registered, deleted]).when({ type: 'Delete', sensorId: 's1', orgId: 'o1' }).thenFails('not_found');
    });
  });

  it('a sensor bound to a deleted registry has lost its binding (it gets no jobs until bound again)', () => {
    expect(bindingLost({ registryId: 'r1' }, { deleted: true })).toBe(true);
    expect(bindingLost({ registryId: 'r1' }, null)).toBe(true);
    expect(bindingLost({ registryId: 'r1' }, { deleted: false })).toBe(false);
    expect(bindingLost({ registryId: null }, null)).toBe(false);
  });

  it('follows the machine’s transitions: status, job and last contact', () => {
    const at = (t: string) => ({ metadata: { occurredAt: t } });
    let state = evolveSensor(null, { ...registered, ...at(SPEC_TIME) });
    state = evolveSensor(state, { type: 'SensorStartedScanning', data: { sensorId: 's1', jobId: 'j1', at: '2026-11-27T10:01:00.000Z' }, ...at(SPEC_TIME) });
    expect(state).toMatchObject({ status: 'scanning', currentJobId: 'j1', lastContactAt: '2026-11-27T10:01:00.000Z' });
    state = evolveSensor(state, { type: 'SensorWentOffline', data: { sensorId: 's1', lastHeartbeatAt: '2026-11-27T10:02:00.000Z', at: '2026-11-27T10:04:00.000Z', thresholdMs: 120_000, jobId: 'j1' }, ...at(SPEC_TIME) });
    expect(state).toMatchObject({ status: 'offline', currentJobId: null, lastContactAt: '2026-11-27T10:02:00.000Z' });
  });
});
