import { describe, expect, it } from 'vitest';
import { FleetModel, type ModelEvent } from './fleet-model.js';

let revision = 0n;
const at = (minute: number) => new Date(Date.UTC(2026, 10, 1, 0, minute)).toISOString();
const event = (type: string, data: object, minute = 0): ModelEvent => ({
  streamName: 'sensor-x',
  revision: revision++,
  type,
  data,
  metadata: { occurredAt: at(minute) },
});
const registered = (sensorId: string, name: string, orgId = 'org-a') =>
  event('SensorRegistered', { sensorId, orgId, apiKeyId: 'key-1', autoCreated: false, name, hostname: `${name}.example`, version: '1', os: 'linux', arch: 'amd64', capabilities: ['scan'], scannerVersions: {} });
const offline = (sensorId: string, minute: number) => event('SensorWentOffline', { sensorId, lastHeartbeatAt: at(minute), at: at(minute + 2), thresholdMs: 120_000 }, minute + 2);
const online = (sensorId: string, minute: number) => event('SensorCameOnline', { sensorId, at: at(minute), from: 'offline' }, minute);

const history: ModelEvent[] = [
  registered('s-delta', 'delta'),
  registered('s-alpha', 'Alpha'),
  registered('s-charlie', 'charlie'),
  registered('s-bravo', 'bravo'),
  registered('s-other', 'aaa', 'org-b'),
  offline('s-charlie', 1),
  offline('s-delta', 1),
];
const later: ModelEvent[] = [online('s-charlie', 5), offline('s-alpha', 5), event('SensorDeleted', { sensorId: 's-bravo' }), registered('s-echo', 'echo'), offline('s-echo', 6)];

const order = (model: FleetModel, orgId = 'org-a') => [...model.sensorsInOrder(orgId)];

describe('FleetModel sensor list order', () => {
  it('lists offline sensors first, then by name regardless of case, each org on its own', () => {
    const model = new FleetModel(true);
    for (const e of history) model.apply(e);
    expect(order(model)).toEqual(['s-charlie', 's-delta', 's-alpha', 's-bravo']);
    expect(order(model, 'org-b')).toEqual(['s-other']);
  });

  it('keeps the order it has handed out up to date as sensors change, are deleted and are added', () => {
    const readEarly = new FleetModel(true);
    for (const e of history) readEarly.apply(e);
    order(readEarly);
    for (const e of later) readEarly.apply(e);

    const readOnlyAtTheEnd = new FleetModel(true);
    for (const e of [...history, ...later]) readOnlyAtTheEnd.apply(e);

    const expected = ['s-alpha', 's-delta', 's-echo', 's-charlie'];
    expect(order(readEarly)).toEqual(expected);
    expect(order(readOnlyAtTheEnd)).toEqual(expected);
  });
});
