import type { FleetSummary } from '@harborguard/shared';
import type { ModelEvent } from '../domain/model-event.js';
import { ChangedIds } from './changed-ids.js';
import { credentialsProjection, type CredentialsState } from './credentials-projection.js';
import { fleetCountsProjection, type FleetCountsState } from './fleet-counts-projection.js';
import { jobsProjection, type JobsState } from './jobs-projection.js';
import { ProjectionRegistry, type ProjectionContext } from './projection.js';
import type { DirtyRecord, RecordKind, Registry, RowChanges, Sensor, StoredRecord } from './records.js';
import { registriesProjection, type RegistriesState } from './registries-projection.js';
import { sensorRowsProjection, type SensorRowsState } from './sensor-rows-projection.js';

/**
 * Every read model, fed one event at a time in log order by the projector: a pure function of
 * the log, so models rebuilt from it, or loaded from stored rows, equal the live ones. Remembers
 * which records changed, to be stored with the checkpoint.
 *
 * The projections, and the records each owns: credentials (orgs, tokens, API keys), sensor rows
 * (sensors; list order per org, sensors per registry), registries, fleet counts (none: counted
 * from sensor rows when loaded) and jobs (jobs; pending per registry, history per sensor).
 */
export class ReadModels {
  readonly credentials: CredentialsState;
  readonly registries: RegistriesState;
  readonly sensors: SensorRowsState;
  readonly counts: FleetCountsState;
  readonly jobs: JobsState;
  /** Global position of the last event applied, where known. */
  position: bigint | null = null;

  private readonly registry = new ProjectionRegistry();
  private readonly dirty = new Map<RecordKind, Set<string>>();
  private readonly tables: Record<RecordKind, ReadonlyMap<string, unknown>>;
  private lastTime = '';
  /** One object, cleared per event: listeners read it synchronously. */
  private readonly changes: RowChanges = { sensors: new ChangedIds(), removedSensors: new ChangedIds() };
  private readonly context: ProjectionContext = {
    changes: this.changes,
    touch: (kind, id) => this.touch(kind, id),
    time: (value) => (value === this.lastTime ? this.lastTime : (this.lastTime = value)),
  };

  constructor() {
    this.credentials = this.registry.register(credentialsProjection()).state;
    this.sensors = this.registry.register(sensorRowsProjection({ registryIdOf: (id) => this.registries.registryIdOf(id) })).state;
    this.registries = this.registry.register(registriesProjection((id) => this.sensors.boundSensorSet(id))).state;
    this.counts = this.registry.register(fleetCountsProjection()).state;
    this.jobs = this.registry.register(jobsProjection({ registryIdOf: (id) => this.registries.registryIdOf(id), liveSensor: (id) => this.sensors.live(id) })).state;
    this.tables = {
      org: this.credentials.orgs,
      token: this.credentials.tokens,
      apikey: this.credentials.apiKeys,
      sensor: this.sensors.sensors,
      registry: this.registries.registries,
      job: this.jobs.jobs,
    };
  }

  /** Applies one event; returns the sensor rows it changed (valid until the next call). */
  apply(event: ModelEvent & { position?: bigint }): RowChanges {
    this.changes.sensors.clear();
    this.changes.removedSensors.clear();
    this.registry.apply(event, this.context);
    if (event.position !== undefined) this.position = event.position;
    return this.changes;
  }

  /** Loads stored records (as `takeDirty` handed them out) into empty models, indexes included. */
  hydrate(records: readonly StoredRecord[], position: bigint | null): void {
    this.registry.load(records);
    this.position = position;
  }

  /** Records changed since the last call, for storing with the checkpoint. */
  takeDirty(): DirtyRecord[] {
    const out: DirtyRecord[] = [];
    for (const [kind, ids] of this.dirty) {
      const table = this.tables[kind];
      for (const id of ids) out.push({ kind, id, record: table.get(id) ?? null });
    }
    this.dirty.clear();
    return out;
  }

  get hasDirty(): boolean {
    return this.dirty.size > 0;
  }

  /** How many records changed since the last `takeDirty`. */
  get dirtyCount(): number {
    let count = 0;
    for (const ids of this.dirty.values()) count += ids.size;
    return count;
  }

  /** Names of the projections, in the order each event reaches them. */
  get projectionNames(): string[] {
    return this.registry.projections.map((projection) => projection.name);
  }

  summary(orgId: string): FleetSummary {
    return { ...this.counts.summary(orgId), sharedHosts: this.sensors.sharedHosts(orgId) };
  }

  /** A sensor whose registry was deleted keeps heartbeating but gets no jobs until rebound. */
  bindingLost(sensor: Sensor): boolean {
    if (sensor.registryId === null) return false;
    const registry: Registry | undefined = this.registries.registries.get(sensor.registryId);
    return registry === undefined || registry.deleted;
  }

  private touch(kind: RecordKind, id: string): void {
    let ids = this.dirty.get(kind);
    if (!ids) this.dirty.set(kind, (ids = new Set()));
    ids.add(id);
  }
}
