import { randomUUID } from 'node:crypto';
import type { FleetModel, Registry } from '../domain/fleet-model.js';
import { decideRegistryStatus } from '../domain/registry-status.js';
import type { Clock } from '../core/clock.js';
import type { EventWriter, WriteContext } from './event-writer.js';
import type { KeyedSerializer } from './serializer.js';
import { AppError } from '../domain/errors.js';
import type { UserPrincipal } from './principal.js';

export const registryStream = (id: string) => `registry-${id}`;
export const registryLock = (id: string) => `registry:${id}`;

export class RegistryService {
  constructor(
    private readonly state: FleetModel,
    private readonly writer: EventWriter,
    private readonly locks: KeyedSerializer,
    private readonly clock: Clock,
  ) {}

  async create(principal: UserPrincipal, input: { name: string; url: string; scheduleIntervalMs?: number | undefined }): Promise<{ id: string }> {
    const id = randomUUID();
    await this.writer.append(
      registryStream(id),
      [{ type: 'RegistryCreated', data: { registryId: id, orgId: principal.orgId, name: input.name, url: input.url, ...(input.scheduleIntervalMs ? { scheduleIntervalMs: input.scheduleIntervalMs } : {}) } }],
      this.context(principal),
    );
    return { id };
  }

  async setSchedule(principal: UserPrincipal, id: string, scheduleIntervalMs: number | null): Promise<void> {
    return this.locks.run(registryLock(id), async () => {
      const registry = this.own(principal, id);
      if (registry.scheduleIntervalMs !== scheduleIntervalMs) {
        await this.writer.append(registryStream(id), [{ type: 'RegistryScheduleChanged', data: { registryId: id, scheduleIntervalMs } }], this.context(principal));
      }
    });
  }

  /** Deleting a registry leaves its sensors flagged "registry binding lost" until they are rebound. */
  async delete(principal: UserPrincipal, id: string): Promise<{ id: string; deleted: true }> {
    await this.locks.run(registryLock(id), async () => {
      this.own(principal, id);
      await this.writer.append(registryStream(id), [{ type: 'RegistryDeleted', data: { registryId: id } }], this.context(principal));
    });
    return { id, deleted: true };
  }

  /** Brings a registry's status in line with the liveness of its bound sensors. */
  async reevaluate(registryId: string, cause: WriteContext, triggeringSensorId?: string): Promise<void> {
    await this.locks.run(registryLock(registryId), async () => {
      const registry = this.state.registries.get(registryId);
      if (!registry || registry.deleted) return;
      const change = decideRegistryStatus(registry, this.state.sensorsBoundTo(registryId), triggeringSensorId);
      if (!change) return;
      await this.writer.append(registryStream(registryId), [{ type: 'RegistryStatusChanged', data: change }], { ...cause, orgId: registry.orgId });
    });
  }

  /** The registry of the caller's org, or "not found". */
  own(principal: { orgId: string }, id: string): Registry {
    const registry = this.state.registries.get(id);
    if (!registry || registry.orgId !== principal.orgId || registry.deleted) throw new AppError('not_found', `Registry ${id} not found`);
    return registry;
  }

  private context(principal: UserPrincipal): WriteContext {
    return { orgId: principal.orgId, actor: { kind: 'user', id: principal.tokenId }, at: this.clock.now() };
  }
}
