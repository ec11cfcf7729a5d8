import { describe, expect, it } from 'vitest';
import { event, registered } from './projection-test-kit.js';
import { ReadModels } from './read-models.js';

describe('ReadModels', () => {
  it('hands each event only to the projections that handle its type', () => {
    const models = new ReadModels();
    expect(models.projectionNames).toEqual(['credentials', 'sensor-rows', 'registries', 'fleet-counts', 'jobs']);
    models.apply({ ...registered('s-1', 'one'), position: 4n });
    expect(models.sensors.live('s-1')?.status).toBe('online');
    expect(models.summary('org-a')).toEqual({ total: 1, online: 1, scanning: 0, offline: 0, sharedHosts: 0 });
    expect(models.position).toBe(4n);
    // An event no projection handles changes nothing.
    const changes = models.apply(event('SensorApiKeyChanged', { sensorId: 's-1', apiKeyId: 'k-2', previousApiKeyId: 'k-1' }));
    expect([...changes.sensors, ...changes.removedSensors]).toEqual([]);
  });

  it('hands out the changed records once, current at the time they are taken', () => {
    const models = new ReadModels();
    models.apply(registered('s-1', 'one'));
    models.apply(event('RegistryCreated', { registryId: 'r-1', orgId: 'org-a', name: 'harbor', url: 'harbor.example' }));
    models.apply(event('SensorBoundToRegistry', { sensorId: 's-1', registryId: 'r-1' }));
    expect(models.hasDirty).toBe(true);
    const dirty = models.takeDirty();
    expect(dirty.map(({ kind, id }) => `${kind}:${id}`).sort()).toEqual(['registry:r-1', 'sensor:s-1']);
    expect(dirty.find((row) => row.kind === 'sensor')!.record).toMatchObject({ registryId: 'r-1' });
    expect(models.hasDirty).toBe(false);
  });

  it('tells the rows of bound sensors changed when their registry changes, and a binding lost when it is deleted', () => {
    const models = new ReadModels();
    models.apply(registered('s-1', 'one'));
    models.apply(event('RegistryCreated', { registryId: 'r-1', orgId: 'org-a', name: 'harbor', url: 'harbor.example' }));
    models.apply(event('SensorBoundToRegistry', { sensorId: 's-1', registryId: 'r-1' }));
    const changes = models.apply(event('RegistryDeleted', { registryId: 'r-1' }));
    expect([...changes.sensors]).toEqual(['s-1']);
    expect(models.bindingLost(models.sensors.live('s-1')!)).toBe(true);
  });
});
