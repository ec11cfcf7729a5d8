import type { ApiKeyRow, EventData, EventType, FleetSummary, JobRow, RegistryRow, SensorStatus } from '@harborguard/shared';
import { SortedIndex } from './sorted-index.js';

/**
 * The read models, as one pure function of the event log: apply events in `$all` order and
 * the rows come out the same whether built live or rebuilt from an empty state. Rows are
 * plain JSON so they can be stored and loaded as they are.
 */

export interface ProjectedEvent {
  position: bigint;
  streamName: string;
  type: string;
  data: unknown;
  metadata: Record<string, unknown>;
}

export interface SensorRecord {
  id: string;
  orgId: string;
  name: string;
  hostname: string;
  status: SensorStatus;
  lastContactAt: string;
  version: string;
  os: string;
  arch: string;
  capabilities: string[];
  scannerVersions: Record<string, string>;
  registryId: string | null;
  clockSkewMs: number | null;
  registeredAt: string;
  currentJobId: string | null;
}

export interface RegistryRecord extends Omit<RegistryRow, 'boundSensorIds'> {
  orgId: string;
  statusSensorId: string | null;
  deleted: boolean;
}

export interface JobRecord extends JobRow {
  orgId: string;
  /** Position of the assignment: orders a sensor's job history. */
  assignedPosition: string | null;
}

export interface ApiKeyRecord extends ApiKeyRow {
  orgId: string;
  previousValidUntil: string | null;
}

export type RecordKind = 'sensor' | 'registry' | 'job' | 'apikey';
type RecordOf<K extends RecordKind> = K extends 'sensor' ? SensorRecord : K extends 'registry' ? RegistryRecord : K extends 'job' ? JobRecord : ApiKeyRecord;

/** Sort key of the sensor list: offline first, then by name, then id. */
export type SensorSortKey = readonly [rank: number, name: string, id: string];
const RANK: Record<SensorStatus, number> = { offline: 0, online: 1, scanning: 1 };
export const compareSensorKeys = (a: SensorSortKey, b: SensorSortKey) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0);
export const sensorSortKey = (sensor: SensorRecord): SensorSortKey => [RANK[sensor.status], (sensor.name || sensor.hostname || sensor.id).toLowerCase(), sensor.id];

/** Which sensor rows an event changed, so live views can be told. */
export interface RowChanges {
  sensors: Set<string>;
  removedSensors: Set<string>;
}

type Handlers = { [T in EventType]?: (data: EventData<T>, event: ProjectedEvent, changes: RowChanges) => void };

const occurredAt = (event: ProjectedEvent) => String(event.metadata['occurredAt']);

export class ReadModel {
  readonly sensors = new Map<string, SensorRecord>();
  readonly registries = new Map<string, RegistryRecord>();
  readonly jobs = new Map<string, JobRecord>();
  readonly apiKeys = new Map<string, ApiKeyRecord>();
  /** Position of the last event applied. */
  position: bigint | null = null;

  private readonly sensorOrder = new Map<string, SortedIndex<SensorSortKey>>();
  private readonly jobsOfSensor = new Map<string, string[]>();
  private readonly sensorsOfRegistry = new Map<string, Set<string>>();
  private readonly counts = new Map<string, FleetSummary>();
  private readonly dirty = new Map<string, RecordKind>();

  /** Applies one event; returns the sensor rows it changed. */
  apply(event: ProjectedEvent): RowChanges {
    const changes: RowChanges = { sensors: new Set(), removedSensors: new Set() };
    const handler = this.handlers[event.type as EventType] as ((data: unknown, event: ProjectedEvent, changes: RowChanges) => void) | undefined;
    handler?.(event.data, event, changes);
    this.position = event.position;
    return changes;
  }

  /** Loads stored rows (what `takeDirty` handed out before) and rebuilds the indexes. */
  hydrate(records: { kind: RecordKind; record: unknown }[], position: bigint | null): void {
    for (const { kind, record } of records) {
      if (kind === 'sensor') this.sensors.set((record as SensorRecord).id, record as SensorRecord);
      else if (kind === 'registry') this.registries.set((record as RegistryRecord).id, record as RegistryRecord);
      else if (kind === 'job') this.jobs.set((record as JobRecord).id, record as JobRecord);
      else this.apiKeys.set((record as ApiKeyRecord).id, record as ApiKeyRecord);
    }
    for (const sensor of this.sensors.values()) this.indexSensor(sensor, null);
    const assigned = [...this.jobs.values()].filter((j) => j.sensorId !== null && j.assignedPosition !== null);
    assigned.sort((a, b) => (BigInt(a.assignedPosition!) < BigInt(b.assignedPosition!) ? -1 : 1));
    for (const job of assigned) this.historyOf(job.sensorId!).push(job.id);
    this.position = position;
  }

  /** Rows changed since the last call, for storing with the checkpoint. */
  takeDirty(): { kind: RecordKind; id: string; record: unknown | null }[] {
    const out = [...this.dirty].map(([key, kind]) => {
      const id = key.slice(kind.length + 1);
      return { kind, id, record: this.get(kind, id) ?? null };
    });
    this.dirty.clear();
    return out;
  }

  get hasDirty(): boolean {
    return this.dirty.size > 0;
  }

  summary(orgId: string): FleetSummary {
    return { ...(this.counts.get(orgId) ?? { total: 0, online: 0, scanning: 0, offline: 0 }) };
  }

  /** Sensor ids of an org in list order, after a key when given. */
  sensorsInOrder(orgId: string, after?: SensorSortKey): IterableIterator<string> {
    return (this.sensorOrder.get(orgId) ?? new SortedIndex(compareSensorKeys)).from(after);
  }

  sensorCount(orgId: string): number {
    return this.sensorOrder.get(orgId)?.size ?? 0;
  }

  /** Jobs a sensor ran, oldest first. */
  jobHistory(sensorId: string): readonly string[] {
    return this.jobsOfSensor.get(sensorId) ?? [];
  }

  boundSensorIds(registryId: string): string[] {
    return [...(this.sensorsOfRegistry.get(registryId) ?? [])].sort();
  }

  bindingLost(sensor: SensorRecord): boolean {
    if (sensor.registryId === null) return false;
    const registry = this.registries.get(sensor.registryId);
    return registry === undefined || registry.deleted;
  }

  private get<K extends RecordKind>(kind: K, id: string): RecordOf<K> | undefined {
    const table = { sensor: this.sensors, registry: this.registries, job: this.jobs, apikey: this.apiKeys }[kind] as Map<string, RecordOf<K>>;
    return table.get(id);
  }

  private touch(kind: RecordKind, id: string): void {
    this.dirty.set(`${kind}:${id}`, kind);
  }

  private historyOf(sensorId: string): string[] {
    let history = this.jobsOfSensor.get(sensorId);
    if (!history) this.jobsOfSensor.set(sensorId, (history = []));
    return history;
  }

  /** Keeps order, counts and registry membership in step with a sensor's row. */
  private indexSensor(sensor: SensorRecord, before: { status: SensorStatus; registryId: string | null } | null): void {
    let order = this.sensorOrder.get(sensor.orgId);
    if (!order) this.sensorOrder.set(sensor.orgId, (order = new SortedIndex(compareSensorKeys)));
    order.set(sensor.id, sensorSortKey(sensor));
    const counts = this.counts.get(sensor.orgId) ?? { total: 0, online: 0, scanning: 0, offline: 0 };
    if (before) counts[before.status]--;
    else counts.total++;
    counts[sensor.status]++;
    this.counts.set(sensor.orgId, counts);
    if (before?.registryId !== sensor.registryId) {
      if (before?.registryId) this.sensorsOfRegistry.get(before.registryId)?.delete(sensor.id);
      if (sensor.registryId) {
        const bound = this.sensorsOfRegistry.get(sensor.registryId) ?? new Set<string>();
        this.sensorsOfRegistry.set(sensor.registryId, bound.add(sensor.id));
      }
    }
  }

  private unindexSensor(sensor: SensorRecord): void {
    this.sensorOrder.get(sensor.orgId)?.delete(sensor.id);
    const counts = this.counts.get(sensor.orgId);
    if (counts) {
      counts.total--;
      counts[sensor.status]--;
    }
    if (sensor.registryId) this.sensorsOfRegistry.get(sensor.registryId)?.delete(sensor.id);
  }

  /** Changes one sensor's row and everything indexed on it. */
  private updateSensor(sensorId: string, changes: RowChanges, update: (sensor: SensorRecord) => void): void {
    const sensor = this.sensors.get(sensorId);
    if (!sensor) return;
    const before = { status: sensor.status, registryId: sensor.registryId };
    update(sensor);
    this.indexSensor(sensor, before);
    this.touch('sensor', sensorId);
    changes.sensors.add(sensorId);
  }

  private updateJob(jobId: string, changes: RowChanges, update: (job: JobRecord) => void): void {
    const job = this.jobs.get(jobId);
    if (!job) return;
    update(job);
    this.touch('job', jobId);
    if (job.sensorId && this.sensors.has(job.sensorId)) changes.sensors.add(job.sensorId);
  }

  private updateRegistry(registryId: string, changes: RowChanges, update: (registry: RegistryRecord) => void): void {
    const registry = this.registries.get(registryId);
    if (!registry) return;
    update(registry);
    this.touch('registry', registryId);
    for (const sensorId of this.sensorsOfRegistry.get(registryId) ?? []) changes.sensors.add(sensorId);
  }

  private updateApiKey(apiKeyId: string, update: (key: ApiKeyRecord) => void): void {
    const key = this.apiKeys.get(apiKeyId);
    if (!key) return;
    update(key);
    this.touch('apikey', apiKeyId);
  }

  private readonly handlers: Handlers = {
    SensorRegistered: (d, e, changes) => {
      const existing = this.sensors.get(d.sensorId);
      if (existing) this.unindexSensor(existing);
      const sensor: SensorRecord = {
        id: d.sensorId,
        orgId: d.orgId,
        name: d.name,
        hostname: d.hostname,
        status: 'online',
        lastContactAt: occurredAt(e),
        version: d.version,
        os: d.os,
        arch: d.arch,
        capabilities: [...d.capabilities],
        scannerVersions: { ...d.scannerVersions },
        registryId: null,
        clockSkewMs: null,
        registeredAt: occurredAt(e),
        currentJobId: null,
      };
      this.sensors.set(sensor.id, sensor);
      this.indexSensor(sensor, null);
      this.touch('sensor', sensor.id);
      changes.sensors.add(sensor.id);
    },
    SensorDetailsChanged: (d, _e, changes) => this.updateSensor(d.sensorId, changes, (s) => Object.assign(s, d.changes)),
    SensorCameOnline: (d, _e, changes) =>
      this.updateSensor(d.sensorId, changes, (s) => {
        s.status = 'online';
        s.lastContactAt = d.at;
      }),
    SensorStartedScanning: (d, _e, changes) =>
      this.updateSensor(d.sensorId, changes, (s) => {
        s.status = 'scanning';
        s.currentJobId = d.jobId;
        s.lastContactAt = d.at;
      }),
    SensorFinishedScanning: (d, _e, changes) =>
      this.updateSensor(d.sensorId, changes, (s) => {
        s.status = 'online';
        s.currentJobId = null;
        s.lastContactAt = d.at;
      }),
    SensorWentOffline: (d, _e, changes) =>
      this.updateSensor(d.sensorId, changes, (s) => {
        s.status = 'offline';
        s.currentJobId = null;
        s.lastContactAt = d.lastHeartbeatAt;
      }),
    SensorBoundToRegistry: (d, _e, changes) => this.updateSensor(d.sensorId, changes, (s) => void (s.registryId = d.registryId)),
    SensorUnbound: (d, _e, changes) => this.updateSensor(d.sensorId, changes, (s) => void (s.registryId = null)),
    SensorClockSkewObserved: (d, _e, changes) =>
      this.updateSensor(d.sensorId, changes, (s) => void (s.clockSkewMs = Math.abs(d.skewMs) > 30_000 ? d.skewMs : null)),
    SensorDeleted: (d, _e, changes) => {
      const sensor = this.sensors.get(d.sensorId);
      if (!sensor) return;
      this.unindexSensor(sensor);
      this.sensors.delete(d.sensorId);
      this.touch('sensor', d.sensorId);
      changes.removedSensors.add(d.sensorId);
    },
    RegistryCreated: (d, e) => {
      this.registries.set(d.registryId, {
        id: d.registryId,
        orgId: d.orgId,
        name: d.name,
        url: d.url,
        status: 'ACTIVE',
        reason: null,
        statusSensorId: null,
        scheduleIntervalMs: d.scheduleIntervalMs ?? null,
        createdAt: occurredAt(e),
        deleted: false,
      });
      this.touch('registry', d.registryId);
    },
    RegistryScheduleChanged: (d, _e, changes) => this.updateRegistry(d.registryId, changes, (r) => void (r.scheduleIntervalMs = d.scheduleIntervalMs)),
    RegistryStatusChanged: (d, _e, changes) =>
      this.updateRegistry(d.registryId, changes, (r) => {
        r.status = d.to;
        r.reason = d.reason;
        r.statusSensorId = d.sensorId ?? null;
      }),
    RegistryDeleted: (d, _e, changes) => this.updateRegistry(d.registryId, changes, (r) => void (r.deleted = true)),
    JobScheduled: (d, e) => {
      this.jobs.set(d.jobId, {
        id: d.jobId,
        orgId: d.orgId,
        registryId: d.registryId,
        sensorId: null,
        type: d.type,
        imageRef: d.imageRef,
        source: d.source,
        status: 'pending',
        reason: null,
        createdAt: occurredAt(e),
        assignedAt: null,
        finishedAt: null,
        results: null,
        assignedPosition: null,
      });
      this.touch('job', d.jobId);
    },
    JobAssigned: (d, e, changes) =>
      this.updateJob(d.jobId, changes, (j) => {
        j.status = 'assigned';
        j.sensorId = d.sensorId;
        j.assignedAt = occurredAt(e);
        j.assignedPosition = e.position.toString();
        this.historyOf(d.sensorId).push(j.id);
      }),
    JobResultsUploaded: (d, _e, changes) =>
      this.updateJob(d.jobId, changes, (j) => void (j.results = { scanStatus: d.scanStatus, vulnerabilityCounts: { ...d.vulnerabilityCounts }, riskScore: d.riskScore })),
    JobCompleted: (d, e, changes) => this.updateJob(d.jobId, changes, (j) => finish(j, 'completed', null, occurredAt(e))),
    JobFailed: (d, e, changes) => this.updateJob(d.jobId, changes, (j) => finish(j, 'failed', d.reason, occurredAt(e))),
    JobCancelled: (d, e, changes) => this.updateJob(d.jobId, changes, (j) => finish(j, 'cancelled', d.reason ?? null, occurredAt(e))),
    ApiKeyCreated: (d, e) => {
      this.apiKeys.set(d.apiKeyId, {
        id: d.apiKeyId,
        orgId: d.orgId,
        name: d.name,
        keyPrefix: d.keyPrefix,
        status: 'active',
        createdAt: occurredAt(e),
        rotatedAt: null,
        revokedAt: null,
        previousKeyValidUntil: null,
        previousValidUntil: null,
      });
      this.touch('apikey', d.apiKeyId);
    },
    ApiKeyRotated: (d, e) =>
      this.updateApiKey(d.apiKeyId, (k) => {
        k.keyPrefix = d.keyPrefix;
        k.rotatedAt = occurredAt(e);
        k.previousValidUntil = d.previousValidUntil;
      }),
    ApiKeyRevoked: (d, e) =>
      this.updateApiKey(d.apiKeyId, (k) => {
        k.status = 'revoked';
        k.revokedAt = occurredAt(e);
      }),
  };
}

function finish(job: JobRecord, status: 'completed' | 'failed' | 'cancelled', reason: string | null, at: string): void {
  job.status = status;
  job.reason = reason;
  job.finishedAt = at;
}
