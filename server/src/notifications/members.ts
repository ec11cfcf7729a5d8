import type { EventStore } from '@harborguard/eventstore';
import type { EventData } from '@harborguard/shared';
import type { StreamStates } from '../core/stream-states.js';
import type { AffectedSensor, RegistryRef, StormMembers } from './message.js';

/** A registry as messages name it; a deleted one says so. */
export function registryRef(states: StreamStates, registryId: string): RegistryRef | null {
  const registry = states.state('registry', registryId);
  if (!registry) return null;
  return { id: registry.id, name: registry.name, status: registry.deleted ? 'deleted' : registry.status };
}

/** A sensor as messages show it: its name, host and bound registry, with the heartbeat time the event carried. */
export function affectedSensor(states: StreamStates, sensorId: string, lastHeartbeatAt: string | null): AffectedSensor {
  const sensor = states.state('sensor', sensorId);
  return {
    sensor: { id: sensorId, name: sensor?.name ?? '', host: sensor?.hostname ?? '' },
    lastHeartbeatAt,
    registry: sensor?.registryId ? registryRef(states, sensor.registryId) : null,
  };
}

/** One loss a storm lists, as the log holds it. */
export interface StormLoss {
  eventId: string;
  sensorId: string;
  lastHeartbeatAt: string;
}

const PAGE = 1_000;

/**
 * The losses a stored storm message lists, read back from the log in order. Read page by page,
 * yielding between pages, so a large storm does not hold the event loop.
 */
export async function readStormLosses(store: EventStore, members: StormMembers): Promise<StormLoss[]> {
  const to = BigInt(members.to);
  const excluded = new Set(members.excludedEventIds);
  const out: StormLoss[] = [];
  let from = BigInt(members.from);
  let seen = from - 1n;
  for (;;) {
    const page = await store.readAll({ fromPosition: from, maxCount: PAGE, filter: { eventTypes: ['SensorWentOffline'] } });
    for (const event of page) {
      if (event.position <= seen || event.position > to) continue;
      seen = event.position;
      if (event.metadata['orgId'] !== members.orgId || excluded.has(event.id)) continue;
      const data = event.data as EventData<'SensorWentOffline'>;
      out.push({ eventId: event.id, sensorId: data.sensorId, lastHeartbeatAt: data.lastHeartbeatAt });
    }
    const last = page[page.length - 1];
    if (page.length < PAGE || !last || last.position >= to) return out;
    // Pages start at a position read before (inclusive), which `seen` skips: every store takes it.
    from = last.position;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
