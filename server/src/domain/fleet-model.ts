import type { EventData, EventType, FleetSummary, JobResultsSummary, JobRow, RegistryStatus, Role, SensorStatus } from '@harborguard/shared';
import { ChangedIds } from './changed-ids.js';
import { SortedIndex } from './sorted-index.js';
import { CLOCK_SKEW_TOLERANCE_MS } from './sensor-machine.js';
import type { ModelEvent } from './model-event.js';
export type { ModelEvent } from './model-event.js';
export { modelEventOf } from './model-event.js';

/**
 * The fleet as one pure function of the event log: apply events in order and the same state
 * comes out, however it was built. Two instances run: the write model, applied as each append
 * is stored (commands decide on it), and the read model, fed by a checkpointed subscription
 * and stored between runs (queries answer from it). Records are plain JSON.
 */

export interface Org {
  id: string;
  name: string;
}

export interface Token {
  id: string;
  orgId: string;
  name: string;
  role: Role;
  hash: string;
  revoked: boolean;
  createdAt: string;
  bootstrap: boolean;
}

export interface ApiKey {
  id: string;
  orgId: string;
  name: string;
  keyPrefix: string;
  hash: string;
  /** The key before the last rotation, accepted until `validUntil` (ms). */
  previous: { hash: string; validUntil: number } | null;
  revoked: boolean;
  createdAt: string;
  rotatedAt: string | null;
  revokedAt: string | null;
}

export interface SensorDetails {
  name: string;
  hostname: string;
  version: string;
  os: string;
  arch: string;
  capabilities: string[];
  scannerVersions: Record<string, string>;
}

export interface Sensor extends SensorDetails {
  id: string;
  orgId: string;
  apiKeyId: string;
  status: SensorStatus;
  /** Last contact carried by stored events (the live value is kept by the supervisor). */
  lastContactAt: string;
  registryId: string | null;
  currentJobId: string | null;
  clockSkewMs: number | null;
  registeredAt: string;
  /** Deleted sensors are kept: one that calls again comes back with the details it had. */
  deleted: boolean;
}

export interface Registry {
  id: string;
  orgId: string;
  name: string;
  url: string;
  status: RegistryStatus;
  reason: string | null;
  statusSensorId: string | null;
  scheduleIntervalMs: number | null;
  createdAt: string;
  deleted: boolean;
}

export type JobStatus = JobRow['status'];

export interface Job extends JobRow {
  orgId: string;
  /** Order of scheduling across all jobs: orders waiting jobs when stored rows are loaded. */
  seq: number;
  /** Place in its sensor's job history: orders the history when stored rows are loaded. */
  assignedSeq: number | null;
}

export type { JobResultsSummary };

/** A job as the API shows it. */
export function toJobRow(job: Job): JobRow {
  const { orgId: _orgId, seq: _seq, assignedSeq: _assignedSeq, ...row } = job;
  return { ...row, results: row.results && { ...row.results, vulnerabilityCounts: { ...row.results.vulnerabilityCounts } } };
}

export const FINISHED_JOB_STATUSES: ReadonlySet<JobStatus> = new Set(['completed', 'failed', 'cancelled']);

export type RecordKind = 'org' | 'token' | 'apikey' | 'sensor' | 'registry' | 'job';

/** Sort key of the sensor list: offline first, then by name, then id. */
export type SensorSortKey = readonly [rank: number, name: string, id: string];
const RANK: Record<SensorStatus, number> = { offline: 0, online: 1, scanning: 1 };
export const compareSensorKeys = (a: SensorSortKey, b: SensorSortKey) =>
  a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0);
export const sensorSortKey = (sensor: Sensor): SensorSortKey => [RANK[sensor.status], (sensor.name || sensor.hostname || sensor.id).toLowerCase(), sensor.id];

/** What the indexes of a sensor depend on. */
type SensorIndexed = Pick<Sensor, 'status' | 'registryId' | 'name' | 'hostname'>;

/** Which sensor rows an event changed, so live views can be told. */
export interface RowChanges {
  sensors: ChangedIds;
  removedSensors: ChangedIds;
}

const identityKey = (apiKeyId: string, name: string, hostname: string) => `${apiKeyId}\u0000${name}\u0000${hostname}`;
const emptySummary = (): FleetSummary => ({ total: 0, online: 0, scanning: 0, offline: 0 });

type Handlers = { [T in EventType]?: (data: EventData<T>, event: ModelEvent, changes: RowChanges) => void };

export class FleetModel {
  readonly orgs = new Map<string, Org>();
  readonly tokens = new Map<string, Token>();
  readonly tokenIdByHash = new Map<string, string>();
  readonly apiKeys = new Map<string, ApiKey>();
  readonly apiKeyIdByHash = new Map<string, string>();
  readonly sensors = new Map<string, Sensor>();
  readonly registries = new Map<string, Registry>();
  readonly jobs = new Map<string, Job>();
  /** Pending job ids per registry, oldest first. */
  readonly pendingJobs = new Map<string, string[]>();
  /**
   * Current revision of every stream applied, for the expected revision of the next append: kept by
   * the write model only (the read model has no commands to check, and rebuilds skip the cost).
   */
  readonly revisions = new Map<string, bigint>();
  /** Global position of the last event applied, where known. */
  position: bigint | null = null;

  private readonly sensorIdByIdentity = new Map<string, string>();
  /**
   * Each org's sensors in list order: built at the first read, then kept up to date. A rebuild or a
   * load of stored rows sorts once instead of updating the order at every status change.
   */
  private sensorOrder: Map<string, SortedIndex<SensorSortKey>> | null = null;
  private readonly jobsOfSensor = new Map<string, string[]>();
  private readonly sensorsOfRegistry = new Map<string, Set<string>>();
  private readonly counts = new Map<string, FleetSummary>();
  private readonly dirty = new Map<RecordKind, Set<string>>();
  private lastTime = '';

  /**
   * `trackChanges`: this is the read model: remember changed records so they can be stored, and keep
   * no stream revisions (only commands, on the write model, use them).
   */
  constructor(private readonly trackChanges = false) {}

  private readonly changes: RowChanges = { sensors: new ChangedIds(), removedSensors: new ChangedIds() };

  /** Applies one event; returns the sensor rows it changed (valid until the next call). */
  apply(event: ModelEvent & { position?: bigint }): RowChanges {
    // One object, cleared per event: listeners read it synchronously, and a rebuild applies millions.
    const changes = this.changes;
    changes.sensors.clear();
    changes.removedSensors.clear();
    if (!this.trackChanges) this.revisions.set(event.streamName, event.revision);
    const handler = this.handlers[event.type as EventType] as ((data: unknown, event: ModelEvent, changes: RowChanges) => void) | undefined;
    handler?.(event.data, event, changes);
    if (event.position !== undefined) this.position = event.position;
    return changes;
  }

  /** Loads stored records (as `takeDirty` handed them out) and rebuilds every index. */
  hydrate(records: { kind: RecordKind; record: unknown }[], position: bigint | null): void {
    for (const { kind, record } of records) {
      const id = (record as { id: string }).id;
      this.table(kind).set(id, record);
    }
    for (const token of this.tokens.values()) this.tokenIdByHash.set(token.hash, token.id);
    for (const key of this.apiKeys.values()) {
      this.apiKeyIdByHash.set(key.hash, key.id);
      if (key.previous) this.apiKeyIdByHash.set(key.previous.hash, key.id);
    }
    for (const sensor of this.sensors.values()) {
      if (sensor.deleted) continue;
      this.indexSensor(sensor, null);
      this.sensorIdByIdentity.set(identityKey(sensor.apiKeyId, sensor.name, sensor.hostname), sensor.id);
    }
    const jobs = [...this.jobs.values()].sort((a, b) => a.seq - b.seq);
    for (const job of jobs) if (job.status === 'pending') this.queueOf(job.registryId).push(job.id);
    const assigned = jobs.filter((job) => job.sensorId !== null && job.assignedSeq !== null).sort((a, b) => a.assignedSeq! - b.assignedSeq!);
    for (const job of assigned) this.historyOf(job.sensorId!).push(job.id);
    this.position = position;
  }

  /** Records changed since the last call, for storing with the checkpoint. */
  takeDirty(): { kind: RecordKind; id: string; record: unknown | null }[] {
    const out: { kind: RecordKind; id: string; record: unknown | null }[] = [];
    for (const [kind, ids] of this.dirty) {
      const table = this.table(kind);
      for (const id of ids) out.push({ kind, id, record: table.get(id) ?? null });
    }
    this.dirty.clear();
    return out;
  }

  get hasDirty(): boolean {
    return this.dirty.size > 0;
  }

  sensorByIdentity(apiKeyId: string, name: string, hostname: string): Sensor | undefined {
    const id = this.sensorIdByIdentity.get(identityKey(apiKeyId, name, hostname));
    return id === undefined ? undefined : this.sensors.get(id);
  }

  /** Sensors bound to a registry (deleted sensors excluded). */
  sensorsBoundTo(registryId: string): Sensor[] {
    return [...(this.sensorsOfRegistry.get(registryId) ?? [])].sort().map((id) => this.sensors.get(id)!);
  }

  /** A sensor whose registry was deleted keeps heartbeating but gets no jobs until rebound. */
  bindingLost(sensor: Sensor): boolean {
    if (sensor.registryId === null) return false;
    const registry = this.registries.get(sensor.registryId);
    return registry === undefined || registry.deleted;
  }

  summary(orgId: string): FleetSummary {
    return { ...(this.counts.get(orgId) ?? emptySummary()) };
  }

  /** Ids of an org's sensors in list order, after a key when given. */
  sensorsInOrder(orgId: string, after?: SensorSortKey): IterableIterator<string> {
    return (this.orderOf(orgId) ?? new SortedIndex(compareSensorKeys)).from(after);
  }

  /** An org's sensor ids in list order, without copying, and where those after `after` start. */
  sensorOrderOf(orgId: string, after?: SensorSortKey): { ids: readonly string[]; start: number } {
    return this.orderOf(orgId)?.ordered(after) ?? { ids: [], start: 0 };
  }

  private orderOf(orgId: string): SortedIndex<SensorSortKey> | undefined {
    if (this.sensorOrder === null) {
      this.sensorOrder = new Map();
      for (const sensor of this.sensors.values()) if (!sensor.deleted) this.placeInOrder(sensor);
    }
    return this.sensorOrder.get(orgId);
  }

  private placeInOrder(sensor: Sensor): void {
    let order = this.sensorOrder!.get(sensor.orgId);
    if (!order) this.sensorOrder!.set(sensor.orgId, (order = new SortedIndex(compareSensorKeys)));
    order.set(sensor.id, sensorSortKey(sensor));
  }

  /** Jobs a sensor ran, oldest first. */
  jobHistory(sensorId: string): readonly string[] {
    return this.jobsOfSensor.get(sensorId) ?? [];
  }

  private table(kind: RecordKind): Map<string, unknown> {
    switch (kind) {
      case 'org':
        return this.orgs;
      case 'token':
        return this.tokens;
      case 'apikey':
        return this.apiKeys;
      case 'sensor':
        return this.sensors;
      case 'registry':
        return this.registries;
      case 'job':
        return this.jobs;
    }
  }

  private touch(kind: RecordKind, id: string): void {
    if (!this.trackChanges) return;
    let ids = this.dirty.get(kind);
    if (!ids) this.dirty.set(kind, (ids = new Set()));
    ids.add(id);
  }

  /**
   * Records keep one copy of each value many of them hold: the previous timestamp taken (the events of
   * one command share theirs) and the id strings of the registries and sensors they point to. With
   * 100,000 sensors and their jobs that is about a sixth of the model's memory, and as much less to
   * copy while a rebuild's young objects are collected.
   */
  private time(value: string): string {
    if (value === this.lastTime) return this.lastTime;
    this.lastTime = value;
    return value;
  }

  private occurredAt(event: ModelEvent): string {
    return this.time(event.metadata.occurredAt);
  }

  private registryIdOf(registryId: string): string {
    return this.registries.get(registryId)?.id ?? registryId;
  }

  private historyOf(sensorId: string): string[] {
    let history = this.jobsOfSensor.get(sensorId);
    if (!history) this.jobsOfSensor.set(sensorId, (history = []));
    return history;
  }

  private queueOf(registryId: string): string[] {
    let queue = this.pendingJobs.get(registryId);
    if (!queue) this.pendingJobs.set(registryId, (queue = []));
    return queue;
  }

  /** Keeps order, counts and registry membership in step with a live sensor's record. */
  private indexSensor(sensor: Sensor, before: SensorIndexed | null): void {
    const keyChanged = !before || RANK[before.status] !== RANK[sensor.status] || before.name !== sensor.name || before.hostname !== sensor.hostname;
    if (keyChanged && this.sensorOrder !== null) this.placeInOrder(sensor);
    if (before?.status !== sensor.status) {
      let counts = this.counts.get(sensor.orgId);
      if (!counts) this.counts.set(sensor.orgId, (counts = emptySummary()));
      if (before) counts[before.status]--;
      else counts.total++;
      counts[sensor.status]++;
    }
    if (before?.registryId !== sensor.registryId) {
      if (before?.registryId) this.sensorsOfRegistry.get(before.registryId)?.delete(sensor.id);
      if (sensor.registryId) {
        const bound = this.sensorsOfRegistry.get(sensor.registryId) ?? new Set<string>();
        this.sensorsOfRegistry.set(sensor.registryId, bound.add(sensor.id));
      }
    }
  }

  private unindexSensor(sensor: Sensor): void {
    this.sensorOrder?.get(sensor.orgId)?.delete(sensor.id);
    const counts = this.counts.get(sensor.orgId);
    if (counts) {
      counts.total--;
      counts[sensor.status]--;
    }
    if (sensor.registryId) this.sensorsOfRegistry.get(sensor.registryId)?.delete(sensor.id);
    this.sensorIdByIdentity.delete(identityKey(sensor.apiKeyId, sensor.name, sensor.hostname));
  }

  /** Changes one live sensor's record and everything indexed on it. */
  private updateSensor(sensorId: string, changes: RowChanges, update: (sensor: Sensor) => void): void {
    const sensor = this.sensors.get(sensorId);
    if (!sensor || sensor.deleted) return;
    const before: SensorIndexed = { status: sensor.status, registryId: sensor.registryId, name: sensor.name, hostname: sensor.hostname };
    update(sensor);
    this.indexSensor(sensor, before);
    this.touch('sensor', sensorId);
    changes.sensors.add(sensorId);
  }

  private updateJob(jobId: string, changes: RowChanges, update: (job: Job) => void): void {
    const job = this.jobs.get(jobId);
    if (!job) return;
    update(job);
    this.touch('job', jobId);
    if (job.sensorId && this.sensors.get(job.sensorId)?.deleted === false) changes.sensors.add(job.sensorId);
  }

  private finishJob(jobId: string, status: 'completed' | 'failed' | 'cancelled', reason: string | null, at: string, changes: RowChanges): void {
    this.updateJob(jobId, changes, (job) => {
      this.removePending(job);
      job.status = status;
      job.reason = reason;
      job.finishedAt = at;
    });
  }

  private removePending(job: Job): void {
    const queue = this.pendingJobs.get(job.registryId);
    if (!queue) return;
    const index = queue.indexOf(job.id);
    if (index >= 0) queue.splice(index, 1);
    if (queue.length === 0) this.pendingJobs.delete(job.registryId);
  }

  private updateRegistry(registryId: string, changes: RowChanges, update: (registry: Registry) => void): void {
    const registry = this.registries.get(registryId);
    if (!registry) return;
    update(registry);
    this.touch('registry', registryId);
    for (const sensorId of this.sensorsOfRegistry.get(registryId) ?? []) changes.sensors.add(sensorId);
  }

  private updateApiKey(apiKeyId: string, update: (key: ApiKey) => void): void {
    const key = this.apiKeys.get(apiKeyId);
    if (!key) return;
    update(key);
    this.touch('apikey', apiKeyId);
  }

  private readonly handlers: Handlers = {
    OrgCreated: (d) => {
      this.orgs.set(d.orgId, { id: d.orgId, name: d.name });
      this.touch('org', d.orgId);
    },
    TokenCreated: (d, e) => {
      this.tokens.set(d.tokenId, {
        id: d.tokenId,
        orgId: d.orgId,
        name: d.name,
        role: d.role,
        hash: d.tokenHash,
        revoked: false,
        createdAt: this.occurredAt(e),
        bootstrap: d.bootstrap ?? false,
      });
      this.tokenIdByHash.set(d.tokenHash, d.tokenId);
      this.touch('token', d.tokenId);
    },
    TokenRevoked: (d) => {
      const token = this.tokens.get(d.tokenId);
      if (!token) return;
      token.revoked = true;
      this.touch('token', d.tokenId);
    },
    ApiKeyCreated: (d, e) => {
      this.apiKeys.set(d.apiKeyId, {
        id: d.apiKeyId,
        orgId: d.orgId,
        name: d.name,
        keyPrefix: d.keyPrefix,
        hash: d.keyHash,
        previous: null,
        revoked: false,
        createdAt: this.occurredAt(e),
        rotatedAt: null,
        revokedAt: null,
      });
      this.apiKeyIdByHash.set(d.keyHash, d.apiKeyId);
      this.touch('apikey', d.apiKeyId);
    },
    ApiKeyRotated: (d, e) =>
      this.updateApiKey(d.apiKeyId, (key) => {
        // Only the latest previous key has a grace period; older ones stop working.
        if (key.previous) this.apiKeyIdByHash.delete(key.previous.hash);
        key.previous = { hash: d.previousKeyHash, validUntil: Date.parse(d.previousValidUntil) };
        key.hash = d.keyHash;
        key.keyPrefix = d.keyPrefix;
        key.rotatedAt = this.occurredAt(e);
        this.apiKeyIdByHash.set(d.keyHash, d.apiKeyId);
      }),
    ApiKeyRevoked: (d, e) =>
      this.updateApiKey(d.apiKeyId, (key) => {
        key.revoked = true;
        key.revokedAt = this.occurredAt(e);
      }),
    SensorRegistered: (d, e, changes) => {
      const previous = this.sensors.get(d.sensorId);
      if (previous && !previous.deleted) this.unindexSensor(previous);
      const sensor: Sensor = {
        id: d.sensorId,
        orgId: d.orgId,
        apiKeyId: this.apiKeys.get(d.apiKeyId)?.id ?? d.apiKeyId,
        name: d.name,
        hostname: d.hostname,
        version: d.version,
        os: d.os,
        arch: d.arch,
        capabilities: [...d.capabilities],
        scannerVersions: { ...d.scannerVersions },
        status: 'online',
        lastContactAt: this.occurredAt(e),
        registryId: null,
        currentJobId: null,
        clockSkewMs: null,
        registeredAt: this.occurredAt(e),
        deleted: false,
      };
      this.sensors.set(sensor.id, sensor);
      this.indexSensor(sensor, null);
      if (!d.autoCreated) this.sensorIdByIdentity.set(identityKey(d.apiKeyId, d.name, d.hostname), d.sensorId);
      this.touch('sensor', sensor.id);
      changes.sensors.add(sensor.id);
    },
    SensorDetailsChanged: (d, _e, changes) =>
      this.updateSensor(d.sensorId, changes, (sensor) => {
        this.sensorIdByIdentity.delete(identityKey(sensor.apiKeyId, sensor.name, sensor.hostname));
        Object.assign(sensor, d.changes);
        this.sensorIdByIdentity.set(identityKey(sensor.apiKeyId, sensor.name, sensor.hostname), sensor.id);
      }),
    SensorCameOnline: (d, _e, changes) =>
      this.updateSensor(d.sensorId, changes, (sensor) => {
        sensor.status = 'online';
        sensor.lastContactAt = this.time(d.at);
      }),
    SensorStartedScanning: (d, _e, changes) =>
      this.updateSensor(d.sensorId, changes, (sensor) => {
        sensor.status = 'scanning';
        sensor.currentJobId = d.jobId;
        sensor.lastContactAt = this.time(d.at);
      }),
    SensorFinishedScanning: (d, _e, changes) =>
      this.updateSensor(d.sensorId, changes, (sensor) => {
        sensor.status = 'online';
        sensor.currentJobId = null;
        sensor.lastContactAt = this.time(d.at);
      }),
    SensorWentOffline: (d, _e, changes) =>
      this.updateSensor(d.sensorId, changes, (sensor) => {
        sensor.status = 'offline';
        sensor.currentJobId = null;
        sensor.lastContactAt = this.time(d.lastHeartbeatAt);
      }),
    SensorBoundToRegistry: (d, _e, changes) => this.updateSensor(d.sensorId, changes, (sensor) => void (sensor.registryId = this.registryIdOf(d.registryId))),
    SensorUnbound: (d, _e, changes) => this.updateSensor(d.sensorId, changes, (sensor) => void (sensor.registryId = null)),
    SensorClockSkewObserved: (d, _e, changes) =>
      this.updateSensor(d.sensorId, changes, (sensor) => void (sensor.clockSkewMs = Math.abs(d.skewMs) > CLOCK_SKEW_TOLERANCE_MS ? d.skewMs : null)),
    SensorDeleted: (d, _e, changes) => {
      const sensor = this.sensors.get(d.sensorId);
      if (!sensor || sensor.deleted) return;
      this.unindexSensor(sensor);
      sensor.deleted = true;
      sensor.currentJobId = null;
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
        createdAt: this.occurredAt(e),
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
        registryId: this.registryIdOf(d.registryId),
        sensorId: null,
        type: d.type,
        imageRef: d.imageRef,
        source: d.source,
        status: 'pending',
        reason: null,
        createdAt: this.occurredAt(e),
        assignedAt: null,
        finishedAt: null,
        results: null,
        seq: this.jobs.size,
        assignedSeq: null,
      });
      this.queueOf(d.registryId).push(d.jobId);
      this.touch('job', d.jobId);
    },
    JobAssigned: (d, e, changes) =>
      this.updateJob(d.jobId, changes, (job) => {
        this.removePending(job);
        const sensorId = this.sensors.get(d.sensorId)?.id ?? d.sensorId;
        const history = this.historyOf(sensorId);
        job.status = 'assigned';
        job.sensorId = sensorId;
        job.assignedAt = this.occurredAt(e);
        job.assignedSeq = history.length;
        history.push(job.id);
      }),
    JobResultsUploaded: (d, _e, changes) =>
      this.updateJob(d.jobId, changes, (job) => void (job.results = { scanStatus: d.scanStatus, vulnerabilityCounts: { ...d.vulnerabilityCounts }, riskScore: d.riskScore })),
    JobCompleted: (d, e, changes) => this.finishJob(d.jobId, 'completed', null, this.occurredAt(e), changes),
    JobFailed: (d, e, changes) => this.finishJob(d.jobId, 'failed', d.reason, this.occurredAt(e), changes),
    JobCancelled: (d, e, changes) => this.finishJob(d.jobId, 'cancelled', d.reason ?? null, this.occurredAt(e), changes),
  };
}
