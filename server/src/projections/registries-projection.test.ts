import { describe, expect, it } from 'vitest';
import { event, projectionUnderTest } from './projection-test-kit.js';
import { registriesProjection } from './registries-projection.js';

const bound: Record<string, string[]> = { 'r-1': ['s-1', 's-2'] };
const created = event('RegistryCreated', { registryId: 'r-1', orgId: 'org-a', name: 'harbor', url: 'harbor.example' }, 3);
const given = () => projectionUnderTest(registriesProjection((id) => bound[id] ?? [])).given(created);

describe('registries projection', () => {
  it('given a new registry, then it is active with no schedule', () => {
    expect(given().state.registries.get('r-1')).toMatchObject({ status: 'ACTIVE', reason: null, scheduleIntervalMs: null, deleted: false });
  });

  it('when its status changes, then the rows of the sensors bound to it change too', () => {
    const p = given();
    const outcome = p.when(event('RegistryStatusChanged', { registryId: 'r-1', from: 'ACTIVE', to: 'ERROR', reason: 'unreachable', sensorId: 's-2' }));
    expect(outcome).toEqual({ changed: ['s-1', 's-2'], removed: [], touched: ['registry:r-1'] });
    expect(p.state.registries.get('r-1')).toMatchObject({ status: 'ERROR', reason: 'unreachable' });
  });

  it('when its schedule changes or it is deleted, then the record says so and is kept', () => {
    const p = given();
    p.when(event('RegistryScheduleChanged', { registryId: 'r-1', scheduleIntervalMs: 60_000 }));
    p.when(event('RegistryDeleted', { registryId: 'r-1' }));
    expect(p.state.registries.get('r-1')).toMatchObject({ scheduleIntervalMs: 60_000, deleted: true });
  });

  it('events for an unknown registry change nothing', () => {
    expect(given().when(event('RegistryDeleted', { registryId: 'r-9' }))).toEqual({ changed: [], removed: [], touched: [] });
  });
});
