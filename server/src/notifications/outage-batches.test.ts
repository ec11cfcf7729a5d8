import { describe, expect, it } from 'vitest';
import type { Channel, Rule } from '../domain/notification.js';
import type { Dispatch, Item } from './dispatch.js';
import { OutageBatches } from './outage-batches.js';

const T0 = Date.parse('2026-11-27T10:00:00.000Z');
const channel: Channel = { id: 'c1', orgId: 'o', name: 'hook', type: 'webhook', config: {}, sealedSecrets: null, enabled: true, createdAt: new Date(T0 - 1).toISOString(), deleted: false };
const rule = (events: Rule['events']): Rule => ({ id: 'r', orgId: 'o', channelId: 'c1', events, registryId: null, sensorPattern: null, holdDownMs: 0, createdAt: channel.createdAt, deleted: false });
const registry = { id: 'reg', name: 'prod', status: 'ACTIVE' };

const lost = (n: number, at = T0): Item => ({
  kind: 'lost',
  eventId: `e${n}`,
  position: BigInt(n + 1),
  orgId: 'o',
  at,
  labels: ['Sensor lost connection'],
  affected: { sensor: { id: `s${n}`, name: `sensor-${n}`, host: `h${n}` }, lastHeartbeatAt: new Date(at - 120_000).toISOString(), registry },
  registry: null,
  reason: '',
  causeSensorId: null,
});

function batches(rules: Rule[]) {
  const out: Dispatch[] = [];
  const b = new OutageBatches({ gatherMs: 500, stormThreshold: 3, stormWindowMs: 60_000 }, { channels: [channel], rules, silences: [] }, (d) => out.push(d));
  return { b, out };
}

describe('outage batches', () => {
  it('folds the registry ERROR a sensor caused into that sensor’s message', () => {
    const { b, out } = batches([rule(['Sensor lost connection', 'Registry error'])]);
    b.add(lost(1));
    b.add({ kind: 'registry', eventId: 'e2', position: 100n, orgId: 'o', at: T0 + 5, labels: ['Registry error'], affected: null, registry: { ...registry, status: 'ERROR' }, reason: 'Sensor s1 is offline', causeSensorId: 's1' });
    b.advance(T0 + 499);
    expect(out).toEqual([]);
    b.advance(T0 + 505);
    expect(out).toHaveLength(1);
    expect(out[0]!.message).toMatchObject({ event: 'Sensor lost connection', registry: { status: 'ERROR' } });
  });

  it('a registry error alone is its own message for a rule that asks for it', () => {
    const { b, out } = batches([rule(['Registry error'])]);
    b.add({ kind: 'registry', eventId: 'e2', position: 100n, orgId: 'o', at: T0, labels: ['Registry error'], affected: null, registry: { ...registry, status: 'ERROR' }, reason: 'manual', causeSensorId: null });
    b.advance(T0 + 500);
    expect(out.map((d) => d.message.title)).toEqual(['Registry error: prod']);
  });

  it('groups more losses than the threshold into one message that stores where its sensors are, not the sensors', () => {
    const { b, out } = batches([rule(['Sensor lost connection'])]);
    for (let n = 0; n < 8; n++) b.add(lost(n, T0 + n * 300));
    b.advance(T0 + 7 * 300 + 499);
    expect(out).toEqual([]);
    b.advance(T0 + 7 * 300 + 500);
    expect(out).toHaveLength(1);
    expect(out[0]!.message).toMatchObject({ title: '8 sensors lost connection', sensors: [], members: { from: '1', to: '8', count: 8, excludedEventIds: [] } });
    expect(out[0]!.members).toHaveLength(8);
    expect(out[0]!.sourceEventIds).toEqual(['e0', 'e7']);
  });

  it('names the losses inside a storm’s stretch of the log that its message does not list', () => {
    const { b, out } = batches([{ ...rule(['Sensor lost connection']), sensorPattern: 'sensor-*' }]);
    for (let n = 0; n < 6; n++) {
      const item = lost(n);
      if (n === 2) item.affected!.sensor = { id: 's2', name: 'other', host: 'other' };
      b.add(item);
    }
    b.advance(T0 + 500);
    expect(out).toHaveLength(1);
    expect(out[0]!.message.members).toEqual({ orgId: 'o', from: '1', to: '6', count: 5, excludedEventIds: ['e2'] });
  });

  it('groups on event time, so reading the same log at another pace gives the same messages and delivery ids', () => {
    const log = [...[0, 1, 2, 3].map((n) => lost(n, T0)), ...[4, 5, 6, 7].map((n) => lost(n, T0 + 2_000))];
    const live = batches([rule(['Sensor lost connection'])]);
    // Read as it happens: time moves on between the two waves.
    for (const item of log.slice(0, 4)) live.b.add(item);
    live.b.advance(T0 + 1_000);
    for (const item of log.slice(4)) live.b.add(item);
    live.b.advance(T0 + 3_000);
    // Read after a crash, all at once, time moving only with the events read.
    const replay = batches([rule(['Sensor lost connection'])]);
    for (const item of log) replay.b.advance(item.at), replay.b.add(item);
    replay.b.advance(T0 + 3_000);
    const summary = (out: Dispatch[]) => out.map((d) => [d.deliveryId, d.message.title]);
    expect(summary(replay.out)).toEqual(summary(live.out));
    expect(summary(live.out).map(([, title]) => title)).toEqual(['4 sensors lost connection', '4 sensors lost connection']);
  });

  it('gives the same (event, channel) the same delivery id every time', () => {
    const first = batches([rule(['Sensor lost connection'])]);
    const second = batches([rule(['Sensor lost connection'])]);
    for (const { b } of [first, second]) {
      b.add(lost(1));
      b.advance(T0 + 500);
    }
    expect(first.out[0]!.deliveryId).toBe(second.out[0]!.deliveryId);
  });
});
