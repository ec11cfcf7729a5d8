import { compareSensorKeys, sensorMovesInList, sensorSortKey, type EventData, type SensorSortKey } from '@harborguard/shared';
import type { ModelEvent } from '../domain/model-event.js';
import { CLOCK_SKEW_TOLERANCE_MS } from '../domain/sensor-machine.js';
import { defineProjection, type ProjectionContext } from './projection.js';
import { recordsOf, type Sensor } from './records.js';
import { SharedValues } from '../core/shared-values.js';
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
  /** Connected sensors by org and host ("org\u0000host"): two or more on one host may contend for its Docker socket. */
  private readonly onHost = new Map<string, Set<string>>();
  /** Per org, how many hosts have more than one connected sensor. */
  private readonly sharedHostCount = new Map<string, number>();
  /** Built at the first read and kept up to date after: applying a whole log sorts once. */
  private order: Map<string, SortedIndex<SensorSortKey>> | null = null;
  /** Capability lists and scanner versions, one copy of each that sensors share. */
  private readonly details = new SharedValues();

  constructor(readonly ids: SharedIds) {}

  /** The record's capability list and scanner versions replaced by the shared copies of equal values. */
  shareDetails(sensor: Pick<Sensor, 'capabilities' | 'scannerVersions'>): void {
    sensor.capabilities = this.details.share(sensor.capabilities);
    sensor.scannerVersions = this.details.share(sensor.scannerVersions);
  }

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

  /** How many other connected sensors of its org report the sensor's host. */
  sameHostSensors(sensor: Sensor): number {
    const group = this.onHost.get(hostKey(sensor));
    if (group === undefined) return 0;
    return group.has(sensor.id) ? group.size - 1 : group.size;
  }

  /** How many hosts of an org have more than one connected sensor. */
  sharedHosts(orgId: string): number {
    return this.sharedHostCount.get(orgId) ?? 0;
  }

  /**
   * Puts a sensor on its host, or takes it off; the rows of the sensors it shares the host with
   * change too (their count of neighbours does).
   */
  private placeOnHost(sensor: Pick<Sensor, 'id' | 'orgId' | 'hostname'>, present: boolean, context?: ProjectionContext): void {
    const key = hostKey(sensor);
    const group = this.onHost.get(key) ?? new Set<string>();
    if (group.has(sensor.id) === present) return;
    const sharedBefore = group.size > 1;
    if (present) group.add(sensor.id);
    else group.delete(sensor.id);
    if (group.size === 0) this.onHost.delete(key);
    else this.onHost.set(key, group);
    const sharedAfter = group.size > 1;
    if (sharedBefore !== sharedAfter) this.sharedHostCount.set(sensor.orgId, this.sharedHosts(sensor.orgId) + (sharedAfter ? 1 : -1));
    if (context) for (const id of group) if (id !== sensor.id) context.changes.sensors.add(id);
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
  index(sensor: Sensor, before: SensorIndexed | null, context?: ProjectionContext): void {
    if (before !== null && before.hostname !== sensor.hostname) this.placeOnHost({ ...sensor, hostname: before.hostname }, false, context);
    this.placeOnHost(sensor, connectedOnHost(sensor), context);
    if (this.order !== null && (before === null || sensorMovesInList(before, sensor))) this.placeInOrder(sensor);
    if (before?.registryId !== sensor.registryId) {
      if (before?.registryId) this.boundTo.get(before.registryId)?.delete(sensor.id);
      if (sensor.registryId) {
        const bound = this.boundTo.get(sensor.registryId) ?? new Set<string>();
        this.boundTo.set(sensor.registryId, bound.add(sensor.id));
      }
    }
  }

  unindex(sensor: Sensor, context?: ProjectionContext): void {
    this.placeOnHost(sensor, false, context);
    this.order?.get(sensor.orgId)?.delete(sensor.id);
    if (sensor.registryId) this.boundTo.get(sensor.registryId)?.delete(sensor.id);
  }

  /** Changes one live sensor's record, in place, and everything indexed on it. */
  update(sensorId: string, context: ProjectionContext, update: (sensor: Sensor) => void): void {
    const sensor = this.live(sensorId);
    if (!sensor) return;
    const before: SensorIndexed = { id: sensor.id, status: sensor.status, registryId: sensor.registryId, name: sensor.name, hostname: sensor.hostname };
    update(sensor);
    this.index(sensor, before, context);
    context.touch('sensor', sensorId);
    context.changes.sensors.add(sensorId);
  }
}

const hostKey = (sensor: Pick<Sensor, 'orgId' | 'hostname'>) => `${sensor.orgId}\u0000${sensor.hostname}`;
/** Counted on its host: a connected sensor that has said which host it runs on. */
const connectedOnHost = (sensor: Sensor) => !sensor.deleted && sensor.status !== 'offline' && sensor.hostname !== '';

const skewShown = (skewMs: number) => (Math.abs(skewMs) > CLOCK_SKEW_TOLERANCE_MS ? skewMs : null);

/** A new sensor, or one registering again (a deleted one comes back): online, unbound, its details as sent. */
function register(state: SensorRowsState, d: EventData<'SensorRegistered'>, e: ModelEvent, context: ProjectionContext): void {
  const previous = state.live(d.sensorId);
  if (previous) state.unindex(previous, context);
  const at = context.time(e.metadata.occurredAt);
  const { sensorId: id, orgId, name, hostname, version, os, arch } = d;
  const capabilities = [...d.capabilities];
  const scannerVersions = { ...d.scannerVersions };
  const sensor: Sensor = { id, orgId, name, hostname, version, os, arch, capabilities, scannerVersions, status: 'online', lastContactAt: at, registryId: null, currentJobId: null, clockSkewMs: null, registeredAt: at, deleted: false };
  state.shareDetails(sensor);
  state.sensors.set(id, sensor);
  state.index(sensor, null, context);
  context.touch('sensor', id);
  context.changes.sensors.add(id);
}

export const sensorRowsProjection = (ids: SharedIds) =>
  defineProjection({
    name: 'sensor-rows',
    initialState: new SensorRowsState(ids),
    evolve: {
      SensorRegistered: register,
      SensorDetailsChanged: (state, d, _e, context) => state.update(d.sensorId, context, (sensor) => {
          Object.assign(sensor, d.changes);
          state.shareDetails(sensor);
        }),
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
      // Stored last contacts; live views already showed them when the sensors called.
      SensorContactsCheckpointed: (state, d, _e, context) => {
        for (const [sensorId, at] of Object.entries(d.contacts)) {
          const sensor = state.live(sensorId);
          if (sensor === undefined || sensor.orgId !== d.orgId || Date.parse(at) <= Date.parse(sensor.lastContactAt)) continue;
          sensor.lastContactAt = at;
          context.touch('sensor', sensorId);
        }
      },
      SensorDeleted: (state, d, _e, context) => {
        const sensor = state.live(d.sensorId);
        if (!sensor) return;
        state.unindex(sensor, context);
        sensor.deleted = true;
        sensor.currentJobId = null;
        context.touch('sensor', d.sensorId);
        context.changes.removedSensors.add(d.sensorId);
      },
    },
    load: (state, records) => {
      for (const sensor of recordsOf<Sensor>(records, 'sensor')) {
        state.shareDetails(sensor);
        state.sensors.set(sensor.id, sensor);
        if (!sensor.deleted) state.index(sensor, null);
      }
    },
  });
