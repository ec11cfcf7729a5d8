import { describe, expect, it } from 'vitest';
import { actorIdOf, actorOf, describeEvent, eventTone, type NameOf } from './audit';

describe('audit events', () => {
  it('names the cause from metadata.actor', () => {
    expect(actorOf({ metadata: { actor: { kind: 'sensor', id: 's-1' } } })).toBe('sensor s-1');
    expect(actorOf({ metadata: { actor: { kind: 'user', id: 'tok-9' } } })).toBe('user tok-9');
    expect(actorOf({ metadata: { actor: { kind: 'system', id: 'system' } } })).toBe('system');
    expect(actorOf({ metadata: { actor: { kind: 'system', id: 'liveness' } } })).toBe('system (liveness)');
    expect(actorOf({ metadata: {} })).toBe('unknown');
    expect(actorOf({ metadata: { actor: { kind: 'sensor', id: 's-1' } } }, (kind, id) => (kind === 'sensor' && id === 's-1' ? 'edge-01' : null))).toBe('sensor edge-01');
  });

  it('names a person by their token’s name, keeping the id for hovering', () => {
    const event = { metadata: { actor: { kind: 'user', id: 'tok-9' } } };
    expect(actorOf(event, (kind, id) => (kind === 'user' && id === 'tok-9' ? 'Dana' : null))).toBe('user Dana');
    expect(actorIdOf(event)).toBe('user id tok-9');
    expect(actorIdOf({ metadata: { actor: { kind: 'system', id: 'liveness' } } })).toBeUndefined();
  });

  it('names the people and sensors an event is about, where known', () => {
    const known: Record<string, string> = { 'user:tok-9': 'Dana', 'sensor:s-1': 'edge-01' };
    const names: NameOf = (kind, id) => known[`${kind}:${id}`];
    expect(describeEvent({ type: 'TokenRevoked', data: { tokenId: 'tok-9' } }, names)).toBe('user: Dana');
    expect(describeEvent({ type: 'JobAssigned', data: { jobId: 'j-1', sensorId: 's-1' } }, names)).toBe('jobId: j-1, sensor: edge-01');
    expect(describeEvent({ type: 'JobAssigned', data: { jobId: 'j-1', sensorId: 's-2' } }, names)).toBe('jobId: j-1, sensor: s-2');
  });

  it('describes what happened', () => {
    expect(describeEvent({ type: 'SensorCameOnline', data: { from: 'offline' } })).toBe('Came back online after being offline.');
    expect(describeEvent({ type: 'SensorWentOffline', data: { lastHeartbeatAt: 'T', thresholdMs: 120_000 } })).toBe('Went offline: no heartbeat since T (threshold 120 s).');
    expect(describeEvent({ type: 'SensorWentOffline', data: { thresholdMs: 3000 } })).toBe('Went offline: no heartbeat since — (threshold 3 s).');
    expect(describeEvent({ type: 'SensorBoundToRegistry', data: { registryId: 'r2', previousRegistryId: 'r1' } })).toBe('Rebound from registry “r1” to “r2”.');
    expect(describeEvent({ type: 'SensorBoundToRegistry', data: { registryId: 'r2' } }, (kind, id) => (kind === 'registry' && id === 'r2' ? 'Harbor' : null))).toBe(
      'Bound to registry “Harbor”.',
    );
    expect(describeEvent({ type: 'ApiKeyCreated', data: { apiKeyId: 'k', keyHash: 'x', keyPrefix: 'hg_ak_12' } })).toBe('apiKeyId: k, keyPrefix: hg_ak_12');
  });

  it('colours events by what they mean', () => {
    expect(eventTone('SensorWentOffline')).toBe('bad');
    expect(eventTone('SensorCameOnline')).toBe('good');
    expect(eventTone('SensorStartedScanning')).toBe('busy');
    expect(eventTone('SensorClockSkewObserved')).toBe('neutral');
  });
});
