import { describe, it } from 'vitest';
import { registryDecider, type BoundSensor, type RegistryEvent } from './registry.js';
import { deciderSpec } from './testing/given-when-then.js';

const given = deciderSpec(registryDecider);
const created: RegistryEvent = { type: 'RegistryCreated', data: { registryId: 'r1', orgId: 'o1', name: 'harbor', url: 'harbor.example' } };
const sensor = (id: string, status: BoundSensor['status'], name = id): BoundSensor => ({ id, name, status });
const inError: RegistryEvent = { type: 'RegistryStatusChanged', data: { registryId: 'r1', from: 'ACTIVE', to: 'ERROR', reason: 'Sensor "a" (a) is offline', sensorId: 'a' } };

describe('registry decider', () => {
  it('creates a registry with its schedule', () =>
    given([])
      .when({ type: 'Create', registryId: 'r1', orgId: 'o1', name: 'harbor', url: 'harbor.example', scheduleIntervalMs: 3_600_000 })
      .then([{ type: 'RegistryCreated', data: { ...created.data, scheduleIntervalMs: 3_600_000 } } as RegistryEvent]));

  describe('schedule', () => {
    it('changes the interval', () =>
      given([created])
        .when({ type: 'SetSchedule', registryId: 'r1', orgId: 'o1', scheduleIntervalMs: 600_000 })
        .then([{ type: 'RegistryScheduleChanged', data: { registryId: 'r1', scheduleIntervalMs: 600_000 } }]));
    it('the same interval again records nothing', () => given([created]).when({ type: 'SetSchedule', registryId: 'r1', orgId: 'o1', scheduleIntervalMs: null }).then([]));
    it('another org’s registry is not found', () => given([created]).when({ type: 'SetSchedule', registryId: 'r1', orgId: 'o2', scheduleIntervalMs: 60_000 }).thenFails('not_found'));
  });

  describe('status follows the bound sensors', () => {
    it('goes to ERROR when its last connected sensor goes offline, naming it', () =>
      given([created])
        .when({ type: 'SettleStatus', boundSensors: [sensor('a', 'offline'), sensor('b', 'offline')], triggeredBy: 'b' })
        .then([{ type: 'RegistryStatusChanged', data: { registryId: 'r1', from: 'ACTIVE', to: 'ERROR', reason: 'Sensor "b" (b) is offline', sensorId: 'b' } }]));
    it('stays ACTIVE while one bound sensor is connected', () =>
      given([created]).when({ type: 'SettleStatus', boundSensors: [sensor('a', 'offline'), sensor('b', 'scanning')], triggeredBy: 'a' }).then([]));
    it('recovers as soon as one bound sensor is back', () =>
      given([created, inError])
        .when({ type: 'SettleStatus', boundSensors: [sensor('a', 'online')], triggeredBy: 'a' })
        .then([{ type: 'RegistryStatusChanged', data: { registryId: 'r1', from: 'ERROR', to: 'ACTIVE', reason: 'Sensor "a" (a) is connected', sensorId: 'a' } }]));
    it('recovers when its sensors are unbound', () =>
      given([created, inError])
        .when({ type: 'SettleStatus', boundSensors: [] })
        .then([{ type: 'RegistryStatusChanged', data: { registryId: 'r1', from: 'ERROR', to: 'ACTIVE', reason: 'No bound sensors' } }]));
    it('a deleted registry keeps its status', () =>
      given([created, { type: 'RegistryDeleted', data: { registryId: 'r1' } }]).when({ type: 'SettleStatus', boundSensors: [sensor('a', 'offline')] }).then([]));
  });

  it('deletes once; a deleted registry is not found', () => {
    given([created]).when({ type: 'Delete', registryId: 'r1', orgId: 'o1' }).then([{ type: 'RegistryDeleted', data: { registryId: 'r1' } }]);
    given([created, { type: 'RegistryDeleted', data: { registryId: 'r1' } }]).when({ type: 'Delete', registryId: 'r1', orgId: 'o1' }).thenFails('not_found');
  });
});
