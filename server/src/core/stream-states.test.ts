import { describe, expect, it } from 'vitest';
import type { ModelEvent } from '../domain/model-event.js';
import { StreamStates } from './stream-states.js';

const at = '2026-11-30T10:00:00.000Z';
const event = (streamName: string, revision: bigint, type: string, data: unknown): ModelEvent => ({ streamName, revision, type, data, metadata: { occurredAt: at } });
const registered = (sensorId: string) =>
  event(`sensor-${sensorId}`, 0n, 'SensorRegistered', {
    sensorId,
    orgId: 'default',
    apiKeyId: 'k1',
    autoCreated: false,
    name: sensorId,
    hostname: 'h',
    version: '1.0.0',
    os: 'linux',
    arch: 'amd64',
    capabilities: ['scan', 'sbom'],
    scannerVersions: { trivy: '0.50.0' },
  });

describe('the write model', () => {
  it('gives each stream the revision of its last event', () => {
    const states = new StreamStates();
    states.apply(registered('a'));
    states.apply(event('sensor-a', 1n, 'SensorWentOffline', { sensorId: 'a', lastHeartbeatAt: at, at, thresholdMs: 120_000 }));
    expect(states.revision('sensor-a')).toBe(1n);
    expect(states.revision('sensor-b')).toBe('no_stream');
  });

  it('keeps details that sensors report alike once, and a change to one sensor never reaches another', () => {
    const states = new StreamStates();
    states.apply(registered('a'));
    states.apply(registered('b'));
    const a = states.state('sensor', 'a')!;
    const b = states.state('sensor', 'b')!;
    expect(a.capabilities).toBe(b.capabilities);
    states.apply(event('sensor-a', 1n, 'SensorDetailsChanged', { sensorId: 'a', changes: { capabilities: ['scan'], scannerVersions: { trivy: '0.51.0' } } }));
    expect(states.state('sensor', 'a')).toMatchObject({ capabilities: ['scan'], scannerVersions: { trivy: '0.51.0' } });
    expect(states.state('sensor', 'b')).toMatchObject({ capabilities: ['scan', 'sbom'], scannerVersions: { trivy: '0.50.0' } });
  });

  it("keeps each stream's chain head: the hash of its last event, none for a new stream or after it is forgotten", () => {
    const states = new StreamStates();
    const chained = (e: ModelEvent, prev: string | null, hash: string): ModelEvent => ({ ...e, metadata: { ...e.metadata, chain: { v: 2, prev, hash } } });
    states.apply(chained(registered('a'), null, 'h0'));
    expect(states.chainHead('sensor-a')).toBe('h0');
    states.apply(chained(event('sensor-a', 1n, 'SensorWentOffline', { sensorId: 'a', lastHeartbeatAt: at, at, thresholdMs: 120_000 }), 'h0', 'h1'));
    expect(states.chainHead('sensor-a')).toBe('h1');
    expect(states.chainHead('sensor-b')).toBeNull();
    // An event written before the chain existed carries none: the next one starts it.
    states.apply(event('sensor-a', 2n, 'SensorCameOnline', { sensorId: 'a', at, from: 'offline' }));
    expect(states.chainHead('sensor-a')).toBeNull();
    states.forget('sensor-a');
    expect(states.chainHead('sensor-a')).toBeNull();
  });
});
