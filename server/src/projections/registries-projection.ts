import { defineProjection, type ProjectionContext } from './projection.js';
import { recordsOf, type Registry } from './records.js';

/** Registries, deleted ones kept so a sensor bound to one can tell its binding was lost. */
export class RegistriesState {
  readonly registries = new Map<string, Registry>();

  /** @param boundSensors the live sensors bound to a registry, whose rows show its status */
  constructor(private readonly boundSensors: (registryId: string) => Iterable<string>) {}

  /** The stored copy of a registry id, so sensor and job records share it. */
  registryIdOf(registryId: string): string {
    return this.registries.get(registryId)?.id ?? registryId;
  }

  update(registryId: string, context: ProjectionContext, update: (registry: Registry) => void): void {
    const registry = this.registries.get(registryId);
    if (!registry) return;
    update(registry);
    context.touch('registry', registryId);
    for (const sensorId of this.boundSensors(registryId)) context.changes.sensors.add(sensorId);
  }
}

export const registriesProjection = (boundSensors: (registryId: string) => Iterable<string>) =>
  defineProjection({
    name: 'registries',
    initialState: new RegistriesState(boundSensors),
    evolve: {
      RegistryCreated: (state, d, e, context) => {
        const { registryId: id, orgId, name, url } = d;
        const createdAt = context.time(e.metadata.occurredAt);
        state.registries.set(id, { id, orgId, name, url, status: 'ACTIVE', reason: null, scheduleIntervalMs: d.scheduleIntervalMs ?? null, createdAt, deleted: false });
        context.touch('registry', id);
      },
      RegistryScheduleChanged: (state, d, _e, context) => state.update(d.registryId, context, (r) => void (r.scheduleIntervalMs = d.scheduleIntervalMs)),
      RegistryStatusChanged: (state, d, _e, context) =>
        state.update(d.registryId, context, (r) => {
          r.status = d.to;
          r.reason = d.reason;
        }),
      RegistryDeleted: (state, d, _e, context) => state.update(d.registryId, context, (r) => void (r.deleted = true)),
    },
    load: (state, records) => {
      for (const registry of recordsOf<Registry>(records, 'registry')) state.registries.set(registry.id, registry);
    },
  });
