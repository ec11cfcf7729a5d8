import { z } from 'zod';
import type { JobType, RegistryStatus, Role, SensorStatus } from './events.js';
import type { JobStatus } from './api.js';

/**
 * What the read API returns: plain JSON (times as ISO-8601 strings, store positions as
 * decimal strings), shared by the server and the dashboard.
 */


export interface JobResultsSummary {
  scanStatus: string;
  vulnerabilityCounts: Record<string, number>;
  riskScore: number | null;
}

export interface JobRow {
  id: string;
  registryId: string;
  sensorId: string | null;
  type: JobType;
  imageRef: string;
  source: 'operator' | 'schedule';
  /** The token of the person who asked for the job (operator jobs), where known. */
  requestedBy?: string | null;
  status: JobStatus;
  reason: string | null;
  createdAt: string;
  assignedAt: string | null;
  finishedAt: string | null;
  results: JobResultsSummary | null;
}

export interface SensorRegistryRef {
  id: string;
  name: string;
  status: RegistryStatus;
  reason: string | null;
}

export interface SensorRow {
  id: string;
  name: string;
  hostname: string;
  /**
   * How many other connected sensors of the org report the same host: more than one sensor
   * sharing a node's Docker socket can deadlock.
   */
  sameHostSensors: number;
  status: SensorStatus;
  /** Live: the last authenticated request, even one that changed nothing. */
  lastHeartbeatAt: string;
  version: string;
  os: string;
  arch: string;
  capabilities: string[];
  scannerVersions: Record<string, string>;
  /** The bound registry, or null when unbound or when the binding is lost. */
  registry: SensorRegistryRef | null;
  /** Bound to a registry that was deleted: keeps heartbeating, gets no jobs until rebound. */
  registryBindingLost: boolean;
  /** Sensor clock minus server clock when beyond tolerance, else null. */
  clockSkewMs: number | null;
  registeredAt: string;
  currentJobId: string | null;
  /** The last five jobs, newest first. */
  recentJobs: JobRow[];
}

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  next: string | null;
}

export interface AuditEvent {
  position: string;
  stream: string;
  revision: string;
  type: string;
  data: unknown;
  metadata: Record<string, unknown>;
  recordedAt: string;
}

export interface SensorDetail {
  sensor: SensorRow;
  jobs: Page<JobRow>;
  /** Every event of the sensor's stream, newest first, with its cause in `metadata`. */
  auditTrail: Page<AuditEvent>;
}

export interface RegistryRow {
  id: string;
  name: string;
  url: string;
  status: RegistryStatus;
  reason: string | null;
  boundSensorIds: string[];
  /**
   * Bound sensors that are offline, while others keep the registry ACTIVE: the registry goes to
   * ERROR only when none of its bound sensors is connected.
   */
  offlineSensors: { id: string; name: string }[];
  scheduleIntervalMs: number | null;
  createdAt: string;
}

export interface ApiKeyRow {
  id: string;
  name: string;
  keyPrefix: string;
  status: 'active' | 'revoked';
  createdAt: string;
  rotatedAt: string | null;
  revokedAt: string | null;
  previousKeyValidUntil: string | null;
}

export interface FleetSummary {
  total: number;
  online: number;
  scanning: number;
  offline: number;
  /** Hosts with more than one connected sensor of the org. */
  sharedHosts: number;
  /** Set (by `fleet.summary`) while the service refuses new sensors because its memory is nearly full: why, and what to do. */
  memoryLimit?: string;
}

export interface Whoami {
  orgId: string;
  role: Role;
  tokenId: string;
}

/** One message of the `live.fleet` subscription. */
export type FleetChange =
  | { kind: 'sensor'; sensor: SensorRow; summary: FleetSummary }
  | { kind: 'removed'; sensorId: string; summary: FleetSummary }
  /** The client's position is too old to replay: here is everything, then live. */
  | { kind: 'reset'; sensors: SensorRow[]; summary: FleetSummary };

/** A page of a sensor list: filters, the cursor either way, the page size. */
export const SensorListPageInput = z.object({
  status: z.enum(['online', 'scanning', 'offline']).optional(),
  registryId: z.string().min(1).max(128).optional(),
  search: z.string().trim().max(200).optional(),
  cursor: z.string().max(1000).optional(),
  /** The rows just before this cursor (a page's `prev`), instead of after `cursor`. */
  before: z.string().max(1000).optional(),
  limit: z.number().int().min(1).max(500).default(100),
});

export const SensorListInput = SensorListPageInput.default({ limit: 100 });
export type SensorListInput = z.input<typeof SensorListInput>;

export const SensorGetInput = z.object({
  id: z.string().min(1).max(128),
  jobsCursor: z.string().max(1000).optional(),
  auditCursor: z.string().max(1000).optional(),
  limit: z.number().int().min(1).max(200).default(50),
});

export const AuditEventsInput = z
  .object({
    stream: z.string().min(1).max(300).optional(),
    sensorId: z.string().min(1).max(128).optional(),
    type: z.string().min(1).max(100).optional(),
    /** A position (exclusive): pass the previous page's `next`. */
    after: z.string().regex(/^\d+$/, 'must be a position (decimal digits)').optional(),
    /** Only events recorded at or before this time. */
    until: z.iso.datetime({ offset: true }).optional(),
    /** Only events recorded at or after this time. */
    since: z.iso.datetime({ offset: true }).optional(),
    limit: z.number().int().min(1).max(1000).default(100),
    /** Last-contact checkpoints are hidden unless this is true (or `type` or `stream` names them). */
    includeCheckpoints: z.boolean().optional(),
  })
  .default({ limit: 100 });

export const LiveFleetInput = z
  .object({
    /** tRPC fills this with the id of the last message received when a client reconnects. */
    lastEventId: z.string().max(100).nullish(),
  })
  .default({});

export type { SensorStatus, RegistryStatus, Role };

/** `sensors.list` as the server reads it, once validated. */
export type SensorListQuery = z.output<typeof SensorListInput>;

/** `audit.events` as a client sends it (`limit` has a default). */
export type AuditEventsQuery = NonNullable<z.input<typeof AuditEventsInput>>;
/** `audit.events` as the server reads it, once validated. */
export type AuditQuery = z.output<typeof AuditEventsInput>;

// ── Settings → Access ─────────────────────────────────────────────────────────────────────────

/** A person's token as its org's admins see it (never its secret). */
export interface TokenRow {
  id: string;
  orgId: string;
  name: string;
  role: Role;
  revoked: boolean;
  createdAt: string;
  /** The day (UTC, YYYY-MM-DD) the token was last used, where known; null when never seen. */
  lastUsedOn: string | null;
  /** Dashboard sessions of the token that can still be used. */
  activeSessions: number;
}

/** A dashboard session that can still be used. */
export interface SessionRow {
  id: string;
  tokenId: string;
  startedAt: string;
  /** Where the sign-in came from. */
  address: string;
  userAgent: string | null;
  lastSeenAt: string;
  expiresAt: string;
  /** The session the caller is using. */
  current: boolean;
}

/** The caller's own token: what everyone may know about themselves. */
export interface Me {
  orgId: string;
  orgName: string | null;
  tokenId: string;
  name: string;
  role: Role;
}

export interface OrgRow {
  id: string;
  name: string;
}

/** Names of the people (tokens) and sensors of an org, for naming the causes of events. */
export interface ActorNames {
  users: { id: string; name: string }[];
  sensors: { id: string; name: string }[];
}

/** `actors.names`: every sensor's name by default; only the named sensors' when `sensorIds` is given. */
export const ActorNamesInput = z
  .object({
    sensorIds: z.array(z.string().min(1).max(128)).max(500).optional(),
  })
  .optional();
