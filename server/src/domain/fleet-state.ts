import type { EventData, EventType, Role, RegistryStatus, JobType, SensorStatus } from '@harborguard/shared';

/**
 * The in-memory write model: everything commands need to decide, rebuilt on start-up by
 * applying the event log in order, and kept current by applying every event once stored.
 * Pure: no I/O, no clocks.
 */

/** What the write model needs of a stored event. Times come from the event's own metadata so a rebuild is exact. */
export interface AppliedEvent {
  streamName: string;
  revision: bigint;
  type: string;
  data: unknown;
  metadata: { occurredAt: string } & Record<string, unknown>;
}

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
  previous: { hash: string; validUntil: number } | null;
  revoked: boolean;
  createdAt: string;
  rotatedAt: string | null;
  revokedAt: string | null;
}

export interface Sensor {
  id: string;
  orgId: string;
  apiKeyId: string;
  name: string;
  hostname: string;
  version: string;
  os: string;
  arch: string;
  capabilities: string[];
  scannerVersions: Record<string, string>;
  /** Status as stored; the live actor agrees once its events are stored. */
  status: SensorStatus;
  /** Last contact carried by stored events (the live value is kept by the supervisor). */
  lastContactAt: string;
  registryId: string | null;
  jobId: string | null;
  clockSkewMs: number | null;
  registeredAt: string;
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

export type JobStatus = 'pending' | 'assigned' | 'completed' | 'failed' | 'cancelled';

export interface JobResults {
  scanStatus: string;
  vulnerabilityCounts: Record<string, number>;
  riskScore: number | null;
}

export interface Job {
  id: string;
  orgId: string;
  registryId: string;
  type: JobType;
  imageRef: string;
  source: 'operator' | 'schedule';
  status: JobStatus;
  sensorId: string | null;
  reason: string | null;
  createdAt: string;
  assignedAt: string | null;
  finishedAt: string | null;
  results: JobResults | null;
}

export const FINISHED_JOB_STATUSES: ReadonlySet<JobStatus> = new Set(['completed', 'failed', 'cancelled']);

function identityKey(apiKeyId: string, name: string, hostname: string): string {
  return `${apiKeyId}\u0000${name}\u0000${hostname}`;
}

type Handlers = { [T in EventType]?: (data: EventData<T>, event: AppliedEvent) => void };

export class FleetState {
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
  /** Jobs ever assigned to each sensor, oldest first. */
  readonly jobsBySensor = new Map<string, string[]>();
  /** Current revision of every stream written so far. */
  readonly revisions = new Map<string, bigint>();
  private readonly sensorIdByIdentity = new Map<string, string>();

  apply(event: AppliedEvent): void {
    this.revisions.set(event.streamName, event.revision);
    const handler = this.handlers[event.type as EventType] as ((data: unknown, event: AppliedEvent) => void) | undefined;
    handler?.(event.data, event);
  }

  sensorByIdentity(apiKeyId: string, name: string, hostname: string): Sensor | undefined {
    const id = this.sensorIdByIdentity.get(identityKey(apiKeyId, name, hostname));
    return id === undefined ? undefined : this.sensors.get(id);
  }

  /** Sensors bound to a registry (deleted sensors excluded). */
  sensorsBoundTo(registryId: string): Sensor[] {
    const bound: Sensor[] = [];
    for (const sensor of this.sensors.values()) if (!sensor.deleted && sensor.registryId === registryId) bound.push(sensor);
    return bound;
  }

  /** A sensor whose registry was deleted keeps heartbeating but gets no jobs until rebound. */
  bindingLost(sensor: Sensor): boolean {
    if (sensor.registryId === null) return false;
    const registry = this.registries.get(sensor.registryId);
    return registry === undefined || registry.deleted;
  }

  private removePending(job: Job): void {
    const queue = this.pendingJobs.get(job.registryId);
    if (!queue) return;
    const index = queue.indexOf(job.id);
    if (index >= 0) queue.splice(index, 1);
    if (queue.length === 0) this.pendingJobs.delete(job.registryId);
  }

  private finishJob(jobId: string, status: JobStatus, reason: string | null, at: string): void {
    const job = this.jobs.get(jobId);
    if (!job) return;
    this.removePending(job);
    job.status = status;
    job.reason = reason;
    job.finishedAt = at;
  }

  private readonly handlers: Handlers = {
    OrgCreated: (d) => {
      this.orgs.set(d.orgId, { id: d.orgId, name: d.name });
    },
    TokenCreated: (d, e) => {
      this.tokens.set(d.tokenId, {
        id: d.tokenId,
        orgId: d.orgId,
        name: d.name,
        role: d.role,
        hash: d.tokenHash,
        revoked: false,
        createdAt: e.metadata.occurredAt,
        bootstrap: d.bootstrap ?? false,
      });
      this.tokenIdByHash.set(d.tokenHash, d.tokenId);
    },
    TokenRevoked: (d) => {
      const token = this.tokens.get(d.tokenId);
      if (token) token.revoked = true;
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
        createdAt: e.metadata.occurredAt,
        rotatedAt: null,
        revokedAt: null,
      });
      this.apiKeyIdByHash.set(d.keyHash, d.apiKeyId);
    },
    ApiKeyRotated: (d, e) => {
      const key = this.apiKeys.get(d.apiKeyId);
      if (!key) return;
      // Only the latest previous key has a grace period; older ones stop working.
      if (key.previous) this.apiKeyIdByHash.delete(key.previous.hash);
      key.previous = { hash: d.previousKeyHash, validUntil: Date.parse(d.previousValidUntil) };
      key.hash = d.keyHash;
      key.keyPrefix = d.keyPrefix;
      key.rotatedAt = e.metadata.occurredAt;
      this.apiKeyIdByHash.set(d.keyHash, d.apiKeyId);
    },
    ApiKeyRevoked: (d, e) => {
      const key = this.apiKeys.get(d.apiKeyId);
      if (!key) return;
      key.revoked = true;
      key.revokedAt = e.metadata.occurredAt;
    },
    SensorRegistered: (d, e) => {
      const previous = this.sensors.get(d.sensorId);
      if (previous) this.sensorIdByIdentity.delete(identityKey(previous.apiKeyId, previous.name, previous.hostname));
      this.sensors.set(d.sensorId, {
        id: d.sensorId,
        orgId: d.orgId,
        apiKeyId: d.apiKeyId,
        name: d.name,
        hostname: d.hostname,
        version: d.version,
        os: d.os,
        arch: d.arch,
        capabilities: [...d.capabilities],
        scannerVersions: { ...d.scannerVersions },
        status: 'online',
        lastContactAt: e.metadata.occurredAt,
        registryId: null,
        jobId: null,
        clockSkewMs: null,
        registeredAt: e.metadata.occurredAt,
        deleted: false,
      });
      if (!d.autoCreated) this.sensorIdByIdentity.set(identityKey(d.apiKeyId, d.name, d.hostname), d.sensorId);
    },
    SensorDetailsChanged: (d) => {
      const sensor = this.sensors.get(d.sensorId);
      if (!sensor) return;
      this.sensorIdByIdentity.delete(identityKey(sensor.apiKeyId, sensor.name, sensor.hostname));
      Object.assign(sensor, d.changes);
      this.sensorIdByIdentity.set(identityKey(sensor.apiKeyId, sensor.name, sensor.hostname), sensor.id);
    },
    SensorCameOnline: (d) => {
      const sensor = this.sensors.get(d.sensorId);
      if (!sensor) return;
      sensor.status = 'online';
      sensor.lastContactAt = d.at;
    },
    SensorStartedScanning: (d) => {
      const sensor = this.sensors.get(d.sensorId);
      if (!sensor) return;
      sensor.status = 'scanning';
      sensor.jobId = d.jobId;
      sensor.lastContactAt = d.at;
    },
    SensorFinishedScanning: (d) => {
      const sensor = this.sensors.get(d.sensorId);
      if (!sensor) return;
      sensor.status = 'online';
      sensor.jobId = null;
      sensor.lastContactAt = d.at;
    },
    SensorWentOffline: (d) => {
      const sensor = this.sensors.get(d.sensorId);
      if (!sensor) return;
      sensor.status = 'offline';
      sensor.jobId = null;
      sensor.lastContactAt = d.lastHeartbeatAt;
    },
    SensorBoundToRegistry: (d) => {
      const sensor = this.sensors.get(d.sensorId);
      if (sensor) sensor.registryId = d.registryId;
    },
    SensorUnbound: (d) => {
      const sensor = this.sensors.get(d.sensorId);
      if (sensor) sensor.registryId = null;
    },
    SensorDeleted: (d) => {
      const sensor = this.sensors.get(d.sensorId);
      if (!sensor) return;
      sensor.deleted = true;
      sensor.jobId = null;
      this.sensorIdByIdentity.delete(identityKey(sensor.apiKeyId, sensor.name, sensor.hostname));
    },
    SensorClockSkewObserved: (d) => {
      const sensor = this.sensors.get(d.sensorId);
      if (sensor) sensor.clockSkewMs = Math.abs(d.skewMs) > 30_000 ? d.skewMs : null;
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
        createdAt: e.metadata.occurredAt,
        deleted: false,
      });
    },
    RegistryScheduleChanged: (d) => {
      const registry = this.registries.get(d.registryId);
      if (registry) registry.scheduleIntervalMs = d.scheduleIntervalMs;
    },
    RegistryStatusChanged: (d) => {
      const registry = this.registries.get(d.registryId);
      if (!registry) return;
      registry.status = d.to;
      registry.reason = d.reason;
      registry.statusSensorId = d.sensorId ?? null;
    },
    RegistryDeleted: (d) => {
      const registry = this.registries.get(d.registryId);
      if (registry) registry.deleted = true;
    },
    JobScheduled: (d, e) => {
      this.jobs.set(d.jobId, {
        id: d.jobId,
        orgId: d.orgId,
        registryId: d.registryId,
        type: d.type,
        imageRef: d.imageRef,
        source: d.source,
        status: 'pending',
        sensorId: null,
        reason: null,
        createdAt: e.metadata.occurredAt,
        assignedAt: null,
        finishedAt: null,
        results: null,
      });
      const queue = this.pendingJobs.get(d.registryId) ?? [];
      queue.push(d.jobId);
      this.pendingJobs.set(d.registryId, queue);
    },
    JobAssigned: (d, e) => {
      const job = this.jobs.get(d.jobId);
      if (!job) return;
      this.removePending(job);
      job.status = 'assigned';
      job.sensorId = d.sensorId;
      const history = this.jobsBySensor.get(d.sensorId) ?? [];
      history.push(d.jobId);
      this.jobsBySensor.set(d.sensorId, history);
      job.assignedAt = e.metadata.occurredAt;
    },
    JobResultsUploaded: (d) => {
      const job = this.jobs.get(d.jobId);
      if (job) job.results = { scanStatus: d.scanStatus, vulnerabilityCounts: { ...d.vulnerabilityCounts }, riskScore: d.riskScore };
    },
    JobCompleted: (d, e) => this.finishJob(d.jobId, 'completed', null, e.metadata.occurredAt),
    JobFailed: (d, e) => this.finishJob(d.jobId, 'failed', d.reason, e.metadata.occurredAt),
    JobCancelled: (d, e) => this.finishJob(d.jobId, 'cancelled', d.reason ?? null, e.metadata.occurredAt),
  };
}
