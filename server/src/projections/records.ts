import type { JobRow } from '@harborguard/shared';
import type { Registry as DomainRegistry } from '../domain/registry.js';
import type { Sensor as DomainSensor } from '../domain/sensor.js';
import type { ChangedIds } from './changed-ids.js';

/**
 * The records the read models keep and store: plain JSON, so a stored row loads back into the
 * same record. Each kind is owned by one projection.
 */
export type RecordKind = 'org' | 'token' | 'apikey' | 'sensor' | 'registry' | 'job';

/** A stored row as `ReadModelStore.load` hands it back. */
export interface StoredRecord {
  kind: RecordKind;
  record: unknown;
}

/** A changed row to store; `record` null when the row is gone. */
export interface DirtyRecord {
  kind: RecordKind;
  id: string;
  record: unknown | null;
}

/** Orgs, tokens and API keys are kept as their deciders keep them. */
export type { ApiKey, Org, Token } from '../domain/credentials.js';

/** A sensor row: the write side's sensor less what no read shows (its key, its own name for itself). */
export type Sensor = Omit<DomainSensor, 'apiKeyId' | 'agentId'>;

/** A registry row: the write side's registry less the sensor its status names. */
export type Registry = Omit<DomainRegistry, 'statusSensorId'>;

export interface Job extends JobRow {
  orgId: string;
  /** Order of scheduling across all jobs: orders waiting jobs when stored rows are loaded. */
  seq: number;
  /** Place in its sensor's job history: orders the history when stored rows are loaded. */
  assignedSeq: number | null;
}

/** A job as the API shows it: a copy, so callers cannot change the record. */
export function toJobRow(job: Job): JobRow {
  const { orgId: _orgId, seq: _seq, assignedSeq: _assignedSeq, ...row } = job;
  return { ...row, results: row.results && { ...row.results, vulnerabilityCounts: { ...row.results.vulnerabilityCounts } } };
}

/** Which sensor rows an event changed, so live views can be told. */
export interface RowChanges {
  sensors: ChangedIds;
  removedSensors: ChangedIds;
}

/** Stored records of the given kind, in the order they were loaded. */
export function* recordsOf<T>(records: readonly StoredRecord[], kind: RecordKind): Iterable<T> {
  for (const stored of records) if (stored.kind === kind) yield stored.record as T;
}
