import type { JobRow, RegistryStatus, SensorStatus } from '@harborguard/shared';
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

export interface Sensor {
  id: string;
  orgId: string;
  name: string;
  hostname: string;
  version: string;
  os: string;
  arch: string;
  capabilities: string[];
  scannerVersions: Record<string, string>;
  status: SensorStatus;
  /** Last contact carried by stored events (the live value is kept by the sensor's actor). */
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
  scheduleIntervalMs: number | null;
  createdAt: string;
  deleted: boolean;
}

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
