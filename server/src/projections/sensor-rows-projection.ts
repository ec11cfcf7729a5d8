import { compareSensorKeys, sensorMovesInList, sensorSortKey, type EventData, type SensorSortKey } from '@harborguard/shared';
import type { ModelEvent } from '../domain/model-event.js';
import { CLOCK_SKEW_TOLERANCE_MS } from '../domain/sensor-machine.js';
import { defineProjection, type ProjectionContext } from './projection.js';
import { recordsOf, type Sensor } from './records.js';
import { SortedIndex } from './sorted-index.js';

/** What the indexes of a sensor depend on. */
type SensorIndexed = Pick<Sensor, 'id' | 'status' | 'registryId' | 'name' | 'hostname'>;

const NO_SENSORS: readonly string[] = [];

/** Where other read models keep the ids sensor records share. */
export interface SharedIds {
  registryIdOf(registryId: string): string;
}

/**
 * Sensor rows with their indexes: each org's sensors in list order (the shared `compareSensors`
 * order) and the live sensors bound to each registry. Deleted sensors keep their record but leave every index.
 */
export class SensorRowsState {
  readonly sensors = new Map<string, Sensor>();
  private readonly boundTo = new Map<string, Set<string>>();
  /** Built at the first read and kept up to date after: applying a whole log sorts once. */
  private order: Map<string, SortedIndex<SensorSortKey>> | null = null;

  constructor(readonly ids: SharedIds) {}

  /** A live (not deleted) sensor. */
  live(sensorId: string): Sensor | undefined {
    const sensor = this.sensors.get(sensorId);
    return sensor === undefined || sensor.deleted ? undefined : sensor;
  }

  /** Ids of the live sensors bound to a registry, in id order. */
  boundSensorIds(registryId: string): string[] {
    return [...(this.boundTo.get(registryId) ?? NO_SENSORS)].sort();
  }

  /** Ids of the live sensors bound to a registry, unordered and without copying. */
  boundSensorSet(registryId: string): Iterable<string> {
    return this.boundTo.get(registryId) ?? NO_SENSORS;
  }

  /** An org's sensor ids in list order (a read-only view), and where those after `after` start. */
  inOrder(orgId: string, after?: SensorSortKey): { ids: readonly string[]; start: number } {
    return this.orderOf(orgId)?.ordered(after) ?? { ids: NO_SENSORS, start: 0 };
  }

  private orderOf(orgId: string): SortedIndex<SensorSortKey> | undefined {
    if (this.order === null) {
      this.order = new Map();
      for (const sensor of this.sensors.values()) if (!sensor.deleted) this.placeInOrder(sensor);
    }
    return this.order.get(orgId);
  }

  private placeInOrder(sensor: Sensor): void {
    let order = this.order!.get(sensor.orgId);
    if (!order) this.order!.set(sensor.orgId, (order = new SortedIndex(compareSensorKeys)));
    order.set(sensor.id, sensorSortKey(sensor));
  }

  /** Adds a live sensor to every index (`before` null), or moves it after a change. */
  index(sensor: Sensor, before: SensorIndexed | null): void {
    if (this.order !== null && (before === null || sensorMovesInList(before, sensor))) this.placeInOrder(sensor);
    if (before?.registryId !== sensor.registryId) {
      if (before?.registryId) this.boundTo.get(before.registryId)?.delete(sensor.id);
      if (sensor.registryId) {
        const bound = this.boundTo.get(sensor.registryId) ?? new Set<string>();
        this.boundTo.set(sensor.registryId, bound.add(sensor.id));
      }
    }
  }

  unindex(sensor: Sensor): void {
    this.order?.get(sensor.orgId)?.delete(sensor.id);
    if (sensor.registryId) this.boundTo.get(sensor.registryId)?.delete(sensor.id);
  }

  /** Changes one live sensor's record, in place, and everything indexed on it. */
  update(sensorId: string, context: ProjectionContext, update: (sensor: Sensor) => void): void {
    const sensor = this.live(sensorId);
    if (!sensor) return;
    const before: SensorIndexed = { id: sensor.id, status: sensor.status, registryId: sensor.registryId, name: sensor.name, hostname: sensor.hostname };
    update(sensor);
    this.index(sensor, before);
    context.touch('sensor', sensorId);
    context.changes.sensors.add(sensorId);
  }
}

const skewShown = (skewMs: number) => (Math.abs(skewMs) > CLOCK_SKEW_TOLERANCE_MS ? skewMs : null);

/** A new sensor, or one registering again (a deleted one comes back): online, unbound, its details as sent. */
function register(state: SensorRowsState, d: EventData<'SensorRegistered'>, e: ModelEvent, context: ProjectionContext): void {
  const previous = state.live(d.sensorId);
  if (previous) state.unindex(previous);
  const at = context.time(e.metadata.occurredAt);
  const { sensorId: id, orgId, name, hostname, version, os, arch } = d;
  const capabilities = [...d.capabilities];
  const scannerVersions = { ...d.scannerVersions };
  const sensor: Sensor = { id, orgId, name, hostname, version, os, arch, capabilities, scannerVersions, status: 'online', lastContactAt: at, registryId: null, currentJobId: null, clockSkewMs: null, registeredAt: at, deleted: false };
  state.sensors.set(id, sensor);
  state.index(sensor, null);
  context.touch('sensor', id);
  context.changes.sensors.add(id);
}

export const sensorRowsProjection = (ids: SharedIds) =>
  defineProjection({
    name: 'sensor-rows',
    initialState: new SensorRowsState(ids),
    evolve: {
      SensorRegistered: register,
      SensorDetailsChanged: (state, d, _e, context) => state.update(d.sensorId, context, (sensor) => void Object.assign(sensor, d.changes)),
      SensorCameOnline: (state, d, _e, context) =>
        state.update(d.sensorId, context, (sensor) => {
          sensor.status = 'online';
          sensor.lastContactAt = context.time(d.at);
        }),
      SensorStartedScanning: (state, d, _e, context) =>
        state.update(d.sensorId, context, (sensor) => {
          sensor.status = 'scanning';
          sensor.currentJobId = d.jobId;
          sensor.lastContactAt = context.time(d.at);
        }),
      SensorFinishedScanning: (state, d, _e, context) =>
        state.update(d.sensorId, context, (sensor) => {
          sensor.status = 'online';
          sensor.currentJobId = null;
          sensor.lastContactAt = context.time(d.at);
        }),
      SensorWentOffline: (state, d, _e, context) =>
        state.update(d.sensorId, context, (sensor) => {
          sensor.status = 'offline';
          sensor.currentJobId = null;
          sensor.lastContactAt = context.time(d.lastHeartbeatAt);
        }),
      SensorBoundToRegistry: (state, d, _e, context) => state.update(d.sensorId, context, (sensor) => void (sensor.registryId = state.ids.registryIdOf(d.registryId))),
      SensorClockSkewObserved: (state, d, _e, context) => state.update(d.sensorId, context, (sensor) => void (sensor.clockSkewMs = skewShown(d.skewMs))),
      SensorDeleted: (state, d, _e, context) => {
        const sensor = state.live(d.sensorId);
        if (!sensor) return;
        state.unindex(sensor);
        sensor.deleted = true;
        sensor.currentJobId = null;
        context.touch('sensor', d.sensorId);
        context.changes.removedSensors.add(d.sensorId);
      },
    },
    load: (state, records) => {
      for (const sensor of recordsOf<Sensor>(records, 'sensor')) {
        state.sensors.set(sensor.id, sensor);
        if (!sensor.deleted) state.index(sensor, null);
      }
    },
  });
