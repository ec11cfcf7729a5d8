import { z } from 'zod';

/**
 * The event catalog: every event type the service writes, with the schema of its data.
 * Events are validated against it before they are appended. Extend by adding types or
 * optional fields; never change the meaning of a field already written.
 */

const id = z.string().min(1);
const isoTime = z.iso.datetime({ offset: true });

export const SensorStatus = z.enum(['online', 'scanning', 'offline']);
export type SensorStatus = z.infer<typeof SensorStatus>;

export const RegistryStatus = z.enum(['ACTIVE', 'ERROR']);
export type RegistryStatus = z.infer<typeof RegistryStatus>;

export const JobType = z.enum(['scan', 'patch']);
export type JobType = z.infer<typeof JobType>;

export const Capability = z.string().min(1).max(64);

export const Role = z.enum(['admin', 'operator', 'auditor']);
export type Role = z.infer<typeof Role>;

const sensorDetails = {
  name: z.string(),
  hostname: z.string(),
  version: z.string(),
  os: z.string(),
  arch: z.string(),
  capabilities: z.array(Capability),
  scannerVersions: z.record(z.string(), z.string()),
};

export const eventCatalog = {
  // org-<id>
  OrgCreated: z.object({ orgId: id, name: z.string().min(1) }),

  // token-<id>: operator / auditor / admin bearer tokens (hash only)
  TokenCreated: z.object({ tokenId: id, orgId: id, name: z.string(), role: Role, tokenHash: z.string().length(64), bootstrap: z.boolean().optional() }),
  TokenRevoked: z.object({ tokenId: id, reason: z.string().optional() }),

  // session-<id>: a person signed in to the dashboard with a token (the session secret's hash only)
  SessionStarted: z.object({ sessionId: id, tokenId: id, sessionHash: z.string().length(64), address: z.string().max(100), userAgent: z.string().max(300).optional(), expiresAt: isoTime }),
  SessionEnded: z.object({ sessionId: id, reason: z.string() }),

  // apikey-<id>: sensor API keys (hash only)
  ApiKeyCreated: z.object({ apiKeyId: id, orgId: id, name: z.string(), keyHash: z.string().length(64), keyPrefix: z.string() }),
  ApiKeyRotated: z.object({ apiKeyId: id, keyHash: z.string().length(64), keyPrefix: z.string(), previousKeyHash: z.string().length(64), previousValidUntil: isoTime }),
  ApiKeyRevoked: z.object({ apiKeyId: id }),

  // sensor-<id>
  /** `agentId`: the id the sensor calls itself when another org's sensor has that id (so this row got its own). */
  SensorRegistered: z.object({ sensorId: id, orgId: id, apiKeyId: id, autoCreated: z.boolean(), agentId: id.optional(), ...sensorDetails }),
  SensorDetailsChanged: z.object({ sensorId: id, changes: z.object(sensorDetails).partial() }),
  SensorCameOnline: z.object({ sensorId: id, at: isoTime, from: z.enum(['new', 'offline']) }),
  SensorStartedScanning: z.object({ sensorId: id, jobId: id, at: isoTime }),
  SensorFinishedScanning: z.object({ sensorId: id, jobId: id, at: isoTime, outcome: z.enum(['completed', 'failed', 'cancelled', 'lost']) }),
  SensorWentOffline: z.object({ sensorId: id, lastHeartbeatAt: isoTime, at: isoTime, thresholdMs: z.number().int().positive(), jobId: id.optional() }),
  SensorBoundToRegistry: z.object({ sensorId: id, registryId: id, previousRegistryId: id.optional() }),
  SensorDeleted: z.object({ sensorId: id }),
  /** The sensor registered again with another API key of its org: it acts under that key from now on. */
  SensorApiKeyChanged: z.object({ sensorId: id, apiKeyId: id, previousApiKeyId: id }),
  SensorClockSkewObserved: z.object({ sensorId: id, skewMs: z.number().int(), sensorTime: isoTime.nullable(), serverTime: isoTime }),

  // registry-<id>
  RegistryCreated: z.object({ registryId: id, orgId: id, name: z.string().min(1), url: z.string().min(1), scheduleIntervalMs: z.number().int().positive().optional() }),
  RegistryScheduleChanged: z.object({ registryId: id, scheduleIntervalMs: z.number().int().positive().nullable() }),
  RegistryStatusChanged: z.object({ registryId: id, from: RegistryStatus, to: RegistryStatus, reason: z.string(), sensorId: id.optional() }),
  RegistryDeleted: z.object({ registryId: id }),

  // job-<id>
  JobScheduled: z.object({ jobId: id, orgId: id, registryId: id, type: JobType, imageRef: z.string().min(1), source: z.enum(['operator', 'schedule']) }),
  JobAssigned: z.object({ jobId: id, sensorId: id }),
  JobResultsUploaded: z.object({
    jobId: id,
    scanStatus: z.string(),
    vulnerabilityCounts: z.record(z.string(), z.number()),
    riskScore: z.number().nullable(),
  }),
  JobCompleted: z.object({ jobId: id, sensorId: id }),
  JobFailed: z.object({ jobId: id, reason: z.string(), sensorId: id.optional() }),
  JobCancelled: z.object({ jobId: id, sensorId: id.optional(), reason: z.string().optional() }),

  // contacts-<orgId>: last-contact checkpoints. Routine heartbeats are not events; these
  // records keep the last contact of every sensor that called in an interval, so a restart
  // loses at most one interval of it. Not transitions: the audit page hides them by default.
  SensorContactsCheckpointed: z.object({ orgId: id, contacts: z.record(id, isoTime) }),
  // Notifications: channel-<id>, notifyrule-<id>, silence-<id> (routing, per org) and delivery-<id>
  // (one per notification and channel; every attempt recorded). Channel secrets are stored only
  // sealed (encrypted) in `sealedSecrets`, which audit output leaves out.
  NotificationChannelCreated: z.object({ channelId: id, orgId: id, name: z.string().min(1), type: z.enum(['webhook', 'slack', 'pagerduty', 'email']), config: z.record(z.string(), z.unknown()), sealedSecrets: z.string().optional() }),
  NotificationChannelChanged: z.object({ channelId: id, name: z.string().min(1).optional(), config: z.record(z.string(), z.unknown()).optional(), sealedSecrets: z.string().optional(), enabled: z.boolean().optional() }),
  NotificationChannelDeleted: z.object({ channelId: id }),
  NotificationRuleCreated: z.object({ ruleId: id, orgId: id, channelId: id, events: z.array(z.string().min(1)).min(1), registryId: id.optional(), sensorPattern: z.string().optional(), holdDownMs: z.number().int().nonnegative().optional() }),
  NotificationRuleDeleted: z.object({ ruleId: id }),
  NotificationSilenceCreated: z.object({ silenceId: id, orgId: id, sensorPattern: z.string().optional(), registryId: id.optional(), until: isoTime, comment: z.string() }),
  NotificationSilenceDeleted: z.object({ silenceId: id }),
  NotificationQueued: z.object({ deliveryId: id, orgId: id, channelId: id, event: z.string().min(1), message: z.record(z.string(), z.unknown()), sourceEventIds: z.array(id) }),
  NotificationSuppressed: z.object({ deliveryId: id, orgId: id, channelId: id, event: z.string().min(1), message: z.record(z.string(), z.unknown()), sourceEventIds: z.array(id), silenceId: id }),
  NotificationAttempted: z.object({ deliveryId: id, attempt: z.number().int().positive() }),
  NotificationDelivered: z.object({ deliveryId: id, attempt: z.number().int().positive(), response: z.string() }),
  NotificationFailed: z.object({ deliveryId: id, attempt: z.number().int().positive(), error: z.string(), nextAttemptAt: isoTime.optional() }),
  NotificationDeadLettered: z.object({ deliveryId: id, attempts: z.number().int().nonnegative(), error: z.string() }),
  NotificationRetryRequested: z.object({ deliveryId: id }),
  // audit-anchor-<position>: commits to the whole log up to a position (tamper evidence).
  // `digest` folds every event's hash, in log order, up to and including `upTo`; `events` counts them.
  AuditAnchor: z.object({ upTo: z.string().regex(/^\d+$/), events: z.number().int().positive(), digest: z.string().length(64) }),

} as const;

export type EventCatalog = typeof eventCatalog;
export type EventType = keyof EventCatalog;
export type EventData<T extends EventType> = z.infer<EventCatalog[T]>;

/** A typed domain event, before it is stored. */
export type DomainEvent = { [T in EventType]: { type: T; data: EventData<T> } }[EventType];

export const ActorRef = z.object({
  kind: z.enum(['sensor', 'user', 'system']),
  id: z.string(),
});
export type ActorRef = z.infer<typeof ActorRef>;

/** Metadata every stored event carries. */
export const EventMetadata = z.object({
  orgId: id,
  occurredAt: isoTime,
  actor: ActorRef,
  causationId: z.string().optional(),
  correlationId: z.string().optional(),
  /** Tamper evidence: SHA-256 of this event and the hash of its stream's previous event. Absent on events written before it existed. */
  chain: z.object({ prev: z.string().length(64).nullable(), hash: z.string().length(64) }).optional(),
});
export type EventMetadata = z.infer<typeof EventMetadata>;

export function isEventType(type: string): type is EventType {
  return Object.hasOwn(eventCatalog, type);
}

/** Validates an event against the catalog; returns a message describing the problems, or null. */
export function validateEvent(type: string, data: unknown, metadata: unknown): string | null {
  if (!isEventType(type)) return `unknown event type "${type}"`;
  const problems: string[] = [];
  const dataResult = eventCatalog[type].safeParse(data);
  if (!dataResult.success) problems.push(...dataResult.error.issues.map((i) => `data.${i.path.join('.')}: ${i.message}`));
  const metaResult = EventMetadata.safeParse(metadata);
  if (!metaResult.success) problems.push(...metaResult.error.issues.map((i) => `metadata.${i.path.join('.')}: ${i.message}`));
  return problems.length ? problems.join('; ') : null;
}

/** Fields holding secret hashes: kept in the log so state can be rebuilt, redacted wherever events are shown. */
export const SECRET_EVENT_FIELDS = ['tokenHash', 'keyHash', 'previousKeyHash', 'sessionHash', 'sealedSecrets'] as const;
