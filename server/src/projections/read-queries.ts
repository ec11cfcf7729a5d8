import {
  compareSensorKeys,
  normalizeSearch,
  SECRET_EVENT_FIELDS,
  sensorSearchText,
  sensorSortKey,
  type ApiKeyRow,
  type AuditEvent,
  type AuditQuery,
  type FleetSummary,
  type JobRow,
  type Page,
  type RegistryRow,
  type SensorDetail,
  type SensorListPage,
  type SensorListQuery,
  type SensorRow,
  type SensorSortKey,
} from '@harborguard/shared';
import { InvalidPosition, type AllFilter, type EventStore, type RecordedEvent } from '@harborguard/eventstore';
import { AppError } from '../domain/errors.js';
import type { ReadModels } from './read-models.js';
import { toJobRow, type Sensor } from './records.js';
import { firstAfter, listPage, type ListScope } from './sensor-list-page.js';
import { decodeCursor, encodeCursor } from './cursors.js';

/** The live part of a row: what the sensor's actor knows that is not an event. */
export type LiveSensor = (sensorId: string) => { lastContactAt: number } | undefined;

const RECENT_JOBS = 5;
/** Sorts after every offline sensor and before every connected one. */
const LAST_OFFLINE_KEY: SensorSortKey = [0, '\u{10FFFF}', '\u{10FFFF}'];
/** Events read from the log at a time while answering an audit query. */
const AUDIT_PAGE = 1000;
/** One audit page reads at most this many events of the log, so a sparse filter cannot stall a request. */
const AUDIT_SCAN_LIMIT = 20_000;

const CHECKPOINT_TYPE = 'SensorContactsCheckpointed';

const isSortKey = (value: unknown): value is SensorSortKey =>
  Array.isArray(value) && value.length === 3 && typeof value[0] === 'number' && typeof value[1] === 'string' && typeof value[2] === 'string';

/** Answers the read API from the read models, always within the caller's org. */
export class ReadQueries {
  private readonly searchTexts = new Map<string, { name: string; hostname: string; text: string }>();

  constructor(
    private readonly model: ReadModels,
    private readonly store: EventStore,
    private readonly live: LiveSensor,
    private readonly now: () => number,
  ) {}

  sensorRow(sensor: Sensor): SensorRow {
    const live = this.live(sensor.id);
    const registry = sensor.registryId === null ? undefined : this.model.registries.registries.get(sensor.registryId);
    const history = this.model.jobs.jobHistory(sensor.id);
    const recentJobs: JobRow[] = [];
    for (let i = history.length - 1; i >= 0 && recentJobs.length < RECENT_JOBS; i--) recentJobs.push(toJobRow(this.model.jobs.jobs.get(history[i]!)!));
    return {
      id: sensor.id,
      name: sensor.name,
      hostname: sensor.hostname,
      sameHostSensors: this.model.sensors.sameHostSensors(sensor),
      status: sensor.status,
      lastHeartbeatAt: live ? new Date(Math.max(live.lastContactAt, Date.parse(sensor.lastContactAt))).toISOString() : sensor.lastContactAt,
      version: sensor.version,
      os: sensor.os,
      arch: sensor.arch,
      capabilities: [...sensor.capabilities],
      scannerVersions: { ...sensor.scannerVersions },
      registry: registry && !registry.deleted ? { id: registry.id, name: registry.name, status: registry.status, reason: registry.reason } : null,
      registryBindingLost: this.model.bindingLost(sensor),
      clockSkewMs: sensor.clockSkewMs,
      registeredAt: sensor.registeredAt,
      currentJobId: sensor.currentJobId,
      recentJobs,
    };
  }

  /**
   * Offline first, then by name; filtered; paged by cursors that survive changes between pages:
   * `cursor` gives the rows after a page, `before` the rows before one.
   */
  listSensors(orgId: string, query: SensorListQuery): SensorListPage {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, isSortKey);
    const before = query.before === undefined ? undefined : decodeCursor(query.before, isSortKey);
    const scope = this.listScope(orgId, query);
    const page = listPage(scope, before === undefined ? { after } : { before }, query.limit);
    let total: number;
    const search = normalizeSearch(query.search);
    if (search === undefined && query.status === undefined) total = scope.ids.length;
    else if (search === undefined && query.registryId === undefined) total = this.model.summary(orgId)[query.status!];
    else {
      total = 0;
      for (let i = scope.lo; i < scope.hi; i++) if (scope.matches(scope.sensor(scope.ids[i]!))) total++;
    }
    return {
      items: page.rows.map((sensor) => this.sensorRow(sensor)),
      next: page.next === null ? null : encodeCursor(page.next),
      prev: page.prev === null ? null : encodeCursor(page.prev),
      total,
    };
  }

  /** The candidates of a list in list order: a registry's own sensors, or the whole org's. */
  private listScope(orgId: string, query: SensorListQuery): ListScope {
    const search = normalizeSearch(query.search);
    const sensor = (id: string) => this.model.sensors.sensors.get(id)!;
    const matches = (row: Sensor) => (query.status === undefined || row.status === query.status) && (search === undefined || this.searchText(row).includes(search));
    if (query.registryId !== undefined) {
      const bound = this.model.sensors.boundSensorIds(query.registryId).map(sensor).filter((row) => row.orgId === orgId);
      const keyed = bound.map((row) => ({ id: row.id, key: sensorSortKey(row) })).sort((a, b) => compareSensorKeys(a.key, b.key));
      return { ids: keyed.map((entry) => entry.id), lo: 0, hi: keyed.length, sensor, matches };
    }
    const { ids } = this.model.sensors.inOrder(orgId);
    const scope: ListScope = { ids, lo: 0, hi: ids.length, sensor, matches };
    // Offline sensors come first: connected ones start past the last offline key.
    if (query.status === 'offline') scope.hi = firstAfter(scope, LAST_OFFLINE_KEY);
    else if (query.status !== undefined) scope.lo = firstAfter(scope, LAST_OFFLINE_KEY);
    return scope;
  }

  /** The shared search text of a sensor, kept until its name or host changes. */
  private searchText(sensor: Sensor): string {
    const cached = this.searchTexts.get(sensor.id);
    if (cached !== undefined && cached.name === sensor.name && cached.hostname === sensor.hostname) return cached.text;
    const text = sensorSearchText(sensor);
    this.searchTexts.set(sensor.id, { name: sensor.name, hostname: sensor.hostname, text });
    return text;
  }

  async sensorDetail(orgId: string, input: { id: string; jobsCursor?: string | undefined; auditCursor?: string | undefined; limit: number }): Promise<SensorDetail> {
    const sensor = this.ownSensor(orgId, input.id);
    return { sensor: this.sensorRow(sensor), jobs: this.jobHistoryPage(sensor.id, input.jobsCursor, input.limit), auditTrail: await this.auditTrail(sensor.id, input.auditCursor, input.limit) };
  }

  summary(orgId: string): FleetSummary {
    return this.model.summary(orgId);
  }

  registries(orgId: string): RegistryRow[] {
    const rows: RegistryRow[] = [];
    for (const registry of this.model.registries.registries.values()) if (registry.orgId === orgId && !registry.deleted) rows.push(this.registryRow(registry.id));
    return rows.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }

  registry(orgId: string, id: string): RegistryRow {
    const registry = this.model.registries.registries.get(id);
    if (!registry || registry.orgId !== orgId || registry.deleted) throw new AppError('not_found', `Registry ${id} not found`);
    return this.registryRow(id);
  }

  job(orgId: string, id: string): JobRow {
    const job = this.model.jobs.jobs.get(id);
    if (!job || job.orgId !== orgId) throw new AppError('not_found', `Job ${id} not found`);
    return toJobRow(job);
  }

  /** Newest first. */
  jobs(orgId: string, filter: { sensorId?: string | undefined; registryId?: string | undefined; status?: JobRow['status'] | undefined }, limit = 500): JobRow[] {
    const rows: JobRow[] = [];
    const source = filter.sensorId !== undefined ? [...this.model.jobs.jobHistory(filter.sensorId)].reverse().map((id) => this.model.jobs.jobs.get(id)!) : [...this.model.jobs.jobs.values()].reverse();
    for (const job of source) {
      if (job.orgId !== orgId) continue;
      if (filter.registryId !== undefined && job.registryId !== filter.registryId) continue;
      if (filter.status !== undefined && job.status !== filter.status) continue;
      rows.push(toJobRow(job));
      if (rows.length === limit) break;
    }
    return rows;
  }

  apiKeys(orgId: string): ApiKeyRow[] {
    const now = this.now();
    const rows: ApiKeyRow[] = [];
    for (const key of this.model.credentials.apiKeys.values()) {
      if (key.orgId !== orgId) continue;
      const graceRunning = key.previous !== null && key.previous.validUntil > now && !key.revoked;
      rows.push({
        id: key.id,
        name: key.name,
        keyPrefix: key.keyPrefix,
        status: key.revoked ? 'revoked' : 'active',
        createdAt: key.createdAt,
        rotatedAt: key.rotatedAt,
        revokedAt: key.revokedAt,
        previousKeyValidUntil: graceRunning ? new Date(key.previous!.validUntil).toISOString() : null,
      });
    }
    return rows.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /** The org's events in store order, each once, paged by position. */
  async auditEvents(orgId: string, query: AuditQuery): Promise<{ events: AuditEvent[]; next: string | null }> {
    const stream = query.sensorId !== undefined ? `sensor-${query.sensorId}` : query.stream;
    const since = query.since === undefined ? null : Date.parse(query.since);
    const until = query.until === undefined ? null : Date.parse(query.until);
    const filter = { ...(stream !== undefined ? { streamPrefixes: [stream] } : {}), ...(query.type !== undefined ? { eventTypes: [query.type] } : {}) };
    // Last-contact checkpoints are not transitions: shown only when asked for.
    const showCheckpoints = query.includeCheckpoints === true || query.type === CHECKPOINT_TYPE || query.stream?.startsWith('contacts-') === true;
    const keep = (event: RecordedEvent) =>
      event.metadata['orgId'] === orgId &&
      (showCheckpoints || event.type !== CHECKPOINT_TYPE) &&
      (stream === undefined || event.streamName === stream) &&
      (query.type === undefined || event.type === query.type) &&
      (since === null || event.recordedAt.getTime() >= since);

    const events: AuditEvent[] = [];
    // Reads start at their position, inclusive: `seen` is the last event handled, skipped when read again.
    let seen: bigint | null = query.after === undefined ? null : BigInt(query.after);
    let scanned = 0;
    for (;;) {
      const page = await this.auditPage(seen, filter, query.after);
      for (const event of page) {
        if (seen !== null && event.position <= seen) continue;
        if (until !== null && event.recordedAt.getTime() > until) return { events, next: null };
        if (keep(event)) {
          if (events.length === query.limit) return { events, next: events.at(-1)!.position };
          events.push(auditEvent(event));
        }
        seen = event.position;
        if (++scanned >= AUDIT_SCAN_LIMIT) return { events, next: event.position.toString() };
      }
      if (page.length < AUDIT_PAGE) return { events, next: null };
    }
  }

  private async auditPage(from: bigint | null, filter: AllFilter, after: string | undefined): Promise<RecordedEvent[]> {
    try {
      return await this.store.readAll({ fromPosition: from ?? 'start', maxCount: AUDIT_PAGE, filter });
    } catch (error) {
      if (error instanceof InvalidPosition) throw new AppError('bad_request', `after: ${after} is not a position of this log; pass the "next" cursor of an earlier page`);
      throw error;
    }
  }

  ownSensor(orgId: string, id: string): Sensor {
    const sensor = this.model.sensors.sensors.get(id);
    if (!sensor || sensor.orgId !== orgId || sensor.deleted) throw new AppError('not_found', `Sensor ${id} not found`);
    return sensor;
  }

  private registryRow(id: string): RegistryRow {
    const { orgId: _orgId, deleted: _deleted, ...row } = this.model.registries.registries.get(id)!;
    const boundSensorIds = this.model.sensors.boundSensorIds(id);
    const offlineSensors: RegistryRow['offlineSensors'] = [];
    for (const sensorId of boundSensorIds) {
      const sensor = this.model.sensors.sensors.get(sensorId)!;
      if (sensor.status === 'offline') offlineSensors.push({ id: sensor.id, name: sensor.name });
    }
    return { ...row, boundSensorIds, offlineSensors };
  }

  private jobHistoryPage(sensorId: string, cursor: string | undefined, limit: number): Page<JobRow> {
    const history = this.model.jobs.jobHistory(sensorId);
    const before = cursor === undefined ? history.length : decodeCursor(cursor, (v): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= history.length);
    const items: JobRow[] = [];
    let index = before - 1;
    for (; index >= 0 && items.length < limit; index--) items.push(toJobRow(this.model.jobs.jobs.get(history[index]!)!));
    return { items, next: index >= 0 ? encodeCursor(index + 1) : null };
  }

  private async auditTrail(sensorId: string, cursor: string | undefined, limit: number): Promise<Page<AuditEvent>> {
    const fromRevision = cursor === undefined ? 'end' : BigInt(decodeCursor(cursor, (v): v is string => typeof v === 'string' && /^\d+$/.test(v)));
    const events = await this.store.readStream(`sensor-${sensorId}`, { direction: 'backwards', fromRevision, maxCount: limit + 1 });
    const next = events.length > limit ? encodeCursor(events[limit]!.revision.toString()) : null;
    return { items: events.slice(0, limit).map(auditEvent), next };
  }
}

/** An event as auditors see it: secret hashes removed. */
export function auditEvent(event: RecordedEvent): AuditEvent {
  let data = event.data;
  if (data && typeof data === 'object' && SECRET_EVENT_FIELDS.some((field) => field in (data as object))) {
    data = Object.fromEntries(Object.entries(data as Record<string, unknown>).filter(([key]) => !(SECRET_EVENT_FIELDS as readonly string[]).includes(key)));
  }
  return {
    position: event.position.toString(),
    stream: event.streamName,
    revision: event.revision.toString(),
    type: event.type,
    data,
    metadata: event.metadata,
    recordedAt: event.recordedAt.toISOString(),
  };
}

