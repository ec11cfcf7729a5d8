import type { EventStore, RecordedEvent } from '@harborguard/eventstore';
import type { AuditEvent, AuditExportQuery, JobRow, RegistryRow, SensorListQuery, SensorRow, VerifyResult } from '@harborguard/shared';
import { verifyChain } from '../core/chain-verify.js';
import { logPages } from '../core/log-pages.js';
import { modelEventOf } from '../domain/model-event.js';
import { AppError } from '../domain/errors.js';
import { availabilityOf, intervalsIn, type Availability, type Interval, type Transition } from './availability.js';
import { HistoryReplay, occurredAtMs } from './history-replay.js';
import { ReadModels } from './read-models.js';
import { auditEvent, ReadQueries } from './read-queries.js';
import { decodeCursor, encodeCursor } from './cursors.js';

/** Jobs a past state lists, newest first: as many as `jobs.list` shows. */
const JOBS_SHOWN = 500;
/** Events read from the log per page while exporting: memory stays bounded by it, whatever the log's size. */
const EXPORT_PAGE = 5_000;
/** The longest window a history or report may span. */
const MAX_WINDOW_MS = 400 * 24 * 60 * 60 * 1000;

export interface StateAt {
  at: string;
  /** Position of the last event of the replayed prefix; null when the log had nothing yet. */
  position: string | null;
  sensors: SensorRow[];
  /** Present when a page of the sensors was asked for: how many match in all, and the cursors either way. */
  sensorPage?: { total: number; next: string | null; prev: string | null };
  registries: RegistryRow[];
  jobs: JobRow[];
}

export interface SensorHistory {
  intervals: Interval[];
  availability: Availability;
}

export interface AvailabilityRow extends Availability {
  sensorId: string;
  name: string;
  host: string;
}

export interface AvailabilityReport {
  sensors: AvailabilityRow[];
  /** Every sensor the report covers, over all pages. */
  total: number;
  /** Pass back as `cursor` for the next page; null on the last page (and when not paged). */
  next: string | null;
}

/** A sensor's place in the report's order: name, then id. */
type ReportKey = [name: string, id: string];
const isReportKey = (value: unknown): value is ReportKey => Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string';
const names = new Intl.Collator();
type Named = { name: string; id: string };
const byReportOrder = (a: Named, b: Named) => names.compare(a.name, b.name) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Sensors whose history the report covers; the live read models know every sensor ever registered. */
export type SensorsOfOrg = (orgId: string, registryId: string | undefined) => { id: string; name: string; hostname: string }[];

/** The auditors' questions about the past, answered from the log, always within the caller's org. */
export class AuditQueries {
  readonly replay: HistoryReplay;
  private verifying: Promise<VerifyResult> | null = null;

  constructor(
    private readonly store: EventStore,
    private readonly sensorsOf: SensorsOfOrg,
    replay?: HistoryReplay,
  ) {
    this.replay = replay ?? new HistoryReplay(store);
  }

  /**
   * The org's sensors, registries and jobs as the read models showed them at `at`: every
   * sensor, or the page `sensors` asks for, filtered and ordered as `sensors.list` is.
   */
  async stateAt(orgId: string, at: string, sensors?: SensorListQuery): Promise<StateAt> {
    const moment = Date.parse(at);
    const { models, position } = await this.replay.stateAt(moment);
    return { at: new Date(moment).toISOString(), position: position?.toString() ?? null, ...pastRows(models, this.store, orgId, moment, sensors) };
  }

  async sensorHistory(orgId: string, input: { sensorId: string; from: string; until: string }): Promise<SensorHistory> {
    const [from, until] = windowOf(input);
    const transitions = await this.transitions(orgId, input.sensorId);
    if (transitions === null) throw new AppError('not_found', `Sensor ${input.sensorId} not found`);
    const intervals = intervalsIn(transitions, from, until);
    return { intervals, availability: availabilityOf(intervals, until) };
  }

  /** Availability in a window of every sensor the report covers, or of the page after `cursor` when `limit` is set. */
  async availability(orgId: string, input: { from: string; until: string; registryId?: string | undefined; cursor?: string | undefined; limit?: number | undefined }): Promise<AvailabilityReport> {
    const [from, until] = windowOf(input);
    const covered = this.sensorsOf(orgId, input.registryId);
    const start = input.cursor === undefined ? 0 : firstAfterKey(covered, decodeCursor(input.cursor, isReportKey));
    const end = input.limit === undefined ? covered.length : Math.min(covered.length, start + input.limit);
    const sensors: AvailabilityRow[] = [];
    for (const sensor of covered.slice(start, end)) {
      const transitions = (await this.transitions(orgId, sensor.id)) ?? [];
      sensors.push({ sensorId: sensor.id, name: sensor.name, host: sensor.hostname, ...availabilityOf(intervalsIn(transitions, from, until), until) });
    }
    const last = covered[end - 1];
    return { sensors, total: covered.length, next: end < covered.length && last ? encodeCursor([last.name, last.id]) : null };
  }

  /**
   * The org's events in log order, secrets removed, in pages of a bounded size: the caller
   * writes each page out before the next is read.
   */
  async *exportEvents(orgId: string, query: Omit<AuditExportQuery, 'format'>): AsyncGenerator<AuditEvent[]> {
    const from = query.from === undefined ? Number.NEGATIVE_INFINITY : Date.parse(query.from);
    const until = query.until === undefined ? Number.POSITIVE_INFINITY : Date.parse(query.until);
    const filter = { ...(query.stream !== undefined ? { streamPrefixes: [query.stream] } : {}), ...(query.type !== undefined ? { eventTypes: [query.type] } : {}) };
    for await (const page of logPages(this.store, { pageSize: EXPORT_PAGE, filter })) {
      const kept: AuditEvent[] = [];
      for (const event of page) {
        if (event.metadata['orgId'] !== orgId || (query.stream !== undefined && event.streamName !== query.stream)) continue;
        const time = occurredAtMs(event);
        if (time >= from && time < until) kept.push(auditEvent(event));
      }
      if (kept.length > 0) yield kept;
    }
  }

  /**
   * Whether the whole log's hash chains are intact. The log is shared by every org; the answer
   * names positions and what broke, never another org's data.
   */
  verify(_orgId: string): Promise<VerifyResult> {
    // It reads the whole log: callers asking meanwhile share the check already running.
    this.verifying ??= verifyChain(this.store).finally(() => (this.verifying = null));
    return this.verifying;
  }

  /**
   * A sensor's status after each event of its stream, as the sensor-rows projection sets it:
   * the same rule that makes the live row. Null when the stream is not the org's.
   */
  private async transitions(orgId: string, sensorId: string): Promise<Transition[] | null> {
    const events = await this.store.readStream(`sensor-${sensorId}`);
    if (events.length === 0 || events[0]!.metadata['orgId'] !== orgId) return null;
    const models = new ReadModels();
    const transitions: Transition[] = [];
    let status: Transition['status'] = null;
    for (const event of events) {
      models.apply(modelEventOf(event));
      const now = models.sensors.live(sensorId)?.status ?? null;
      if (now === status && transitions.length > 0) continue;
      status = now;
      const previous = transitions.at(-1)?.at ?? Number.NEGATIVE_INFINITY;
      transitions.push({ at: Math.max(previous, transitionTime(event)), status, cause: causeOf(event) });
    }
    return transitions;
  }
}

function pastRows(models: ReadModels, store: EventStore, orgId: string, moment: number, sensors: SensorListQuery | undefined): Omit<StateAt, 'at' | 'position'> {
  // Nothing live about the past: rows show what the events carried.
  const queries = new ReadQueries(models, store, () => undefined, () => moment);
  const page = queries.listSensors(orgId, sensors ?? { limit: Number.MAX_SAFE_INTEGER });
  return {
    sensors: page.items,
    ...(sensors ? { sensorPage: { total: page.total, next: page.next, prev: page.prev } } : {}),
    registries: queries.registries(orgId),
    jobs: queries.jobs(orgId, {}, JOBS_SHOWN),
  };
}

/** Where the report's rows after `key` begin (binary search over the report's order). */
function firstAfterKey(sensors: readonly Named[], [name, id]: ReportKey): number {
  const key = { name, id };
  let low = 0;
  let high = sensors.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (byReportOrder(sensors[mid]!, key) <= 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * When a status change took effect: the moment the event names (`at`: e.g. last contact plus the
 * threshold for going offline, even when the timer's event was written later), else when it was written.
 */
function transitionTime(event: RecordedEvent): number {
  const at = (event.data as { at?: unknown } | null)?.at;
  return typeof at === 'string' ? Date.parse(at) : Date.parse(modelEventOf(event).metadata.occurredAt);
}

function causeOf(event: RecordedEvent): Transition['cause'] {
  const actor = event.metadata['actor'] as { kind: string; id: string } | undefined;
  return {
    type: event.type,
    position: event.position.toString(),
    revision: event.revision.toString(),
    actor: actor ? { kind: actor.kind, id: actor.id } : null,
    occurredAt: modelEventOf(event).metadata.occurredAt,
  };
}

function windowOf(input: { from: string; until: string }): [number, number] {
  const from = Date.parse(input.from);
  const until = Date.parse(input.until);
  if (!(until > from)) throw new AppError('bad_request', 'until: must be after from');
  if (until - from > MAX_WINDOW_MS) throw new AppError('bad_request', 'until: the window may span at most 400 days');
  return [from, until];
}

/** Every sensor of an org the live read models know, deleted ones included, in name order; or those bound to a registry. */
export function sensorsOfOrg(models: ReadModels): SensorsOfOrg {
  return (orgId, registryId) => {
    const sensors = [...models.sensors.sensors.values()].filter((sensor) => sensor.orgId === orgId && (registryId === undefined || (!sensor.deleted && sensor.registryId === registryId)));
    return sensors.sort(byReportOrder);
  };
}
