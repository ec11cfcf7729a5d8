import type { ApiKey, Token } from '../domain/credentials.js';
import type { Job } from '../domain/job.js';
import type { Sensor } from '../domain/sensor.js';
import type { Session } from '../domain/session.js';
import type { StreamKind } from '../domain/streams.js';
import type { StreamStates } from '../core/stream-states.js';

/** Within an org, name and host are a sensor's identity, whichever key it presents. */
const identityKey = (sensor: Pick<Sensor, 'orgId' | 'name' | 'hostname'>) => `${sensor.orgId}\u0000${sensor.name}\u0000${sensor.hostname}`;
const live = (sensor: Sensor | null): sensor is Sensor => sensor !== null && !sensor.deleted;
const identityMoved = (before: Sensor, after: Sensor) => before.id !== after.id || before.orgId !== after.orgId || before.name !== after.name || before.hostname !== after.hostname;

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}

function removeFrom<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (set?.delete(value) && set.size === 0) map.delete(key);
}

/**
 * Lookups across streams that commands need at once (the read models follow the log a moment
 * later): credentials by secret hash, a sensor by its identity, a registry's bound sensors and
 * waiting jobs, a sensor's running jobs. Kept in step with the write model's states.
 */
export class WriteIndexes {
  private readonly apiKeyIdByHash = new Map<string, string>();
  private readonly tokenIdByHash = new Map<string, string>();
  private readonly sessionIdByHash = new Map<string, string>();
  private readonly sensorIdByIdentity = new Map<string, string>();
  private readonly sensorsOfRegistry = new Map<string, Set<string>>();
  private readonly sensorCountOf = new Map<string, number>();
  /** Rows made for sensors calling themselves by another org's sensor's id, by org and that id. */
  private readonly sensorIdByAgentId = new Map<string, string>();
  /** Waiting jobs per registry, in the order they were scheduled (a Set keeps insertion order). */
  private readonly pendingOfRegistry = new Map<string, Set<string>>();
  private readonly assignedOfSensor = new Map<string, Set<string>>();
  /** When each registry's schedule last scheduled a scan (ms). */
  private readonly lastScheduledAtOf = new Map<string, number>();

  constructor(states: StreamStates) {
    states.onChange((_event, kind, before, after) => this.follow(kind, before, after));
  }

  apiKeyIdOf(hash: string): string | undefined {
    return this.apiKeyIdByHash.get(hash);
  }

  tokenIdOf(hash: string): string | undefined {
    return this.tokenIdByHash.get(hash);
  }

  sessionIdOf(hash: string): string | undefined {
    return this.sessionIdByHash.get(hash);
  }

  sensorIdOf(identity: Pick<Sensor, 'orgId' | 'name' | 'hostname'>): string | undefined {
    return this.sensorIdByIdentity.get(identityKey(identity));
  }

  /** The org's row for a sensor that calls itself by an id another org's sensor has. */
  sensorIdOfAgent(orgId: string, agentId: string): string | undefined {
    return this.sensorIdByAgentId.get(`${orgId}\u0000${agentId}`);
  }

  /** Live sensors of an org. */
  sensorCount(orgId: string): number {
    return this.sensorCountOf.get(orgId) ?? 0;
  }

  sensorsBoundTo(registryId: string): readonly string[] {
    return [...(this.sensorsOfRegistry.get(registryId) ?? [])].sort();
  }

  pendingJobs(registryId: string): readonly string[] {
    return [...(this.pendingOfRegistry.get(registryId) ?? [])];
  }

  hasPendingJobs(registryId: string): boolean {
    return this.pendingOfRegistry.has(registryId);
  }

  lastScheduledAt(registryId: string): number | undefined {
    return this.lastScheduledAtOf.get(registryId);
  }

  assignedJobs(sensorId: string): readonly string[] {
    return [...(this.assignedOfSensor.get(sensorId) ?? [])];
  }

  private follow(kind: StreamKind, before: unknown, after: unknown): void {
    switch (kind) {
      case 'sensor':
        return this.followSensor(before as Sensor | null, after as Sensor | null);
      case 'job':
        return this.followJob(before as Job | null, after as Job);
      case 'apikey':
        return this.followApiKey(before as ApiKey | null, after as ApiKey);
      case 'token':
        if (before === null) this.tokenIdByHash.set((after as Token).hash, (after as Token).id);
        return;
      case 'session':
        if (before === null) this.sessionIdByHash.set((after as Session).hash, (after as Session).id);
        return;
    }
  }

  private followSensor(before: Sensor | null, after: Sensor | null): void {
    if (live(before) !== live(after)) {
      const orgId = (after ?? before)!.orgId;
      this.sensorCountOf.set(orgId, this.sensorCount(orgId) + (live(after) ? 1 : -1));
    }
    if (after?.agentId) this.sensorIdByAgentId.set(`${after.orgId}\u0000${after.agentId}`, after.id);
    // Most events (status changes) move no index: the lookups below are left as they are.
    if (live(before) && live(after) && !identityMoved(before, after) && before.registryId === after.registryId && this.holdsIdentity(after)) return;
    if (live(before)) {
      if (this.sensorIdByIdentity.get(identityKey(before)) === before.id) this.sensorIdByIdentity.delete(identityKey(before));
      if (before.registryId) removeFrom(this.sensorsOfRegistry, before.registryId, before.id);
    }
    if (live(after)) {
      // A row with neither name nor host (re-created from a bare request) matches no registration.
      if (after.name || after.hostname) this.sensorIdByIdentity.set(identityKey(after), after.id);
      if (after.registryId) addTo(this.sensorsOfRegistry, after.registryId, after.id);
    }
  }

  /** Whether the identity lookup already finds this sensor (or it has no identity to find it by). */
  private holdsIdentity(sensor: Sensor): boolean {
    return !(sensor.name || sensor.hostname) || this.sensorIdByIdentity.get(identityKey(sensor)) === sensor.id;
  }

  private followJob(before: Job | null, after: Job): void {
    if (before?.status === 'pending' && after.status !== 'pending') removeFrom(this.pendingOfRegistry, before.registryId, before.id);
    if (before === null && after.status === 'pending') addTo(this.pendingOfRegistry, after.registryId, after.id);
    if (before === null && after.source === 'schedule') this.lastScheduledAtOf.set(after.registryId, Date.parse(after.createdAt));
    if (before?.status === 'assigned' && before.sensorId && after.status !== 'assigned') removeFrom(this.assignedOfSensor, before.sensorId, before.id);
    if (before?.status !== 'assigned' && after.status === 'assigned' && after.sensorId) addTo(this.assignedOfSensor, after.sensorId, after.id);
  }

  private followApiKey(before: ApiKey | null, after: ApiKey): void {
    // Only the latest previous key has a grace period; older ones stop working.
    if (before?.previous && before.previous.hash !== after.previous?.hash) this.apiKeyIdByHash.delete(before.previous.hash);
    this.apiKeyIdByHash.set(after.hash, after.id);
    if (after.previous) this.apiKeyIdByHash.set(after.previous.hash, after.id);
  }
}
