import type { EventData, EventType } from '@harborguard/shared';
import type { ModelEvent } from '../domain/model-event.js';
import { ChangedIds } from './changed-ids.js';
import { ProjectionRegistry, type Projection, type ProjectionContext } from './projection.js';

/** Test helpers: one projection fed given events, then the event under test. */

let revision = 0n;
export const at = (minute: number) => new Date(Date.UTC(2026, 10, 1, 0, minute)).toISOString();

export function event<T extends EventType>(type: T, data: EventData<T>, minute = 0): ModelEvent {
  return { streamName: 'test', revision: revision++, type, data, metadata: { occurredAt: at(minute) } };
}

export function registered(sensorId: string, name: string, orgId = 'org-a'): ModelEvent {
  const details = { name, hostname: `${name}.example`, version: '1', os: 'linux', arch: 'amd64', capabilities: ['scan'], scannerVersions: {} };
  return event('SensorRegistered', { sensorId, orgId, apiKeyId: 'key-1', autoCreated: false, ...details });
}

export interface Outcome {
  /** Sensor rows the event changed, and those it removed. */
  changed: string[];
  removed: string[];
  /** Records to store, as `kind:id`. */
  touched: string[];
}

/** `given(events)` builds the state; `when(event)` applies one more and says what it changed. */
export function projectionUnderTest<S>(projection: Projection<S>) {
  const registry = new ProjectionRegistry();
  registry.register(projection);
  const touched = new Set<string>();
  const context: ProjectionContext = {
    changes: { sensors: new ChangedIds(), removedSensors: new ChangedIds() },
    touch: (kind, id) => void touched.add(`${kind}:${id}`),
    time: (value) => value,
  };
  const apply = (event: ModelEvent): Outcome => {
    context.changes.sensors.clear();
    context.changes.removedSensors.clear();
    touched.clear();
    registry.apply(event, context);
    return { changed: [...context.changes.sensors], removed: [...context.changes.removedSensors], touched: [...touched] };
  };
  return {
    state: projection.state,
    given(...events: ModelEvent[]) {
      for (const given of events) apply(given);
      return this;
    },
    when: apply,
  };
}
