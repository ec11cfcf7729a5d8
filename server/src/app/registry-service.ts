import { randomUUID } from 'node:crypto';
import { ownRegistry, registryDecider, type BoundSensor, type Registry } from '../domain/registry.js';
import { registryStream } from '../domain/streams.js';
import type { WriteContext } from '../core/event-writer.js';
import type { UserPrincipal } from './principal.js';
import { registryLock, userContext, type Services } from './services.js';

export class RegistryService {
  constructor(private readonly services: Services) {}

  async create(principal: UserPrincipal, input: { name: string; url: string; scheduleIntervalMs?: number | undefined }): Promise<{ id: string }> {
    const id = randomUUID();
    await this.services.handler.handle(registryStream(id), registryDecider, { type: 'Create', registryId: id, orgId: principal.orgId, ...input }, userContext(principal, this.services));
    return { id };
  }

  async setSchedule(principal: UserPrincipal, id: string, scheduleIntervalMs: number | null): Promise<void> {
    await this.services.handler.handle(registryStream(id), registryDecider, { type: 'SetSchedule', registryId: id, orgId: principal.orgId, scheduleIntervalMs }, userContext(principal, this.services));
  }

  /** Deleting a registry leaves its sensors flagged "registry binding lost" until they are rebound. */
  async delete(principal: UserPrincipal, id: string): Promise<{ id: string; deleted: true }> {
    const context = userContext(principal, this.services);
    this.services.writer.refuseWhileAway(context);
    await this.services.locks.run(registryLock(id), () => this.services.handler.handle(registryStream(id), registryDecider, { type: 'Delete', registryId: id, orgId: principal.orgId }, context));
    return { id, deleted: true };
  }

  /** Brings a registry's status in line with the stored liveness of its bound sensors. */
  async settleStatus(registryId: string, cause: WriteContext, triggeredBy?: string): Promise<void> {
    const { locks, handler, states, indexes } = this.services;
    await locks.run(registryLock(registryId), async () => {
      const registry = states.state('registry', registryId);
      if (!registry || registry.deleted) return;
      const boundSensors: BoundSensor[] = [];
      for (const sensorId of indexes.sensorsBoundTo(registryId)) {
        const { id, name, status } = states.state('sensor', sensorId)!;
        boundSensors.push({ id, name, status });
      }
      await handler.handle(registryStream(registryId), registryDecider, { type: 'SettleStatus', boundSensors, triggeredBy }, { ...cause, orgId: registry.orgId });
    });
  }

  /** The registry of the caller's org, or "not found". */
  own(principal: { orgId: string }, id: string): Registry {
    return ownRegistry(this.services.states.state('registry', id), principal.orgId, id);
  }

  /** The org's registry with this URL, if any. */
  byUrl(orgId: string, url: string): Registry | undefined {
    for (const registry of this.services.states.all('registry')) if (registry.orgId === orgId && !registry.deleted && registry.url === url) return registry;
    return undefined;
  }
}
