import type { SensorSupervisor } from '../actors/sensor-supervisor.js';
import type { Clock } from '../core/clock.js';
import type { EventWriter, WriteContext } from '../core/event-writer.js';
import type { KeyedSerializer } from '../core/keyed-serializer.js';
import type { StreamStates } from '../core/stream-states.js';
import type { CommandHandler } from './command-handler.js';
import type { UserPrincipal } from './principal.js';
import { actorOf } from './principal.js';
import type { WriteIndexes } from './write-indexes.js';

/** What every service of the command side works with. */
export interface Services {
  states: StreamStates;
  indexes: WriteIndexes;
  handler: CommandHandler;
  writer: EventWriter;
  /** Serialises work that spans streams (e.g. handing out a registry's jobs). */
  locks: KeyedSerializer;
  supervisor: SensorSupervisor;
  clock: Clock;
}

export function userContext(principal: UserPrincipal, services: Pick<Services, 'clock'>): WriteContext {
  return { orgId: principal.orgId, actor: actorOf(principal), at: services.clock.now() };
}

export const registryLock = (id: string) => `registry:${id}`;
