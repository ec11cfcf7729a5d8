import { z } from 'zod';
import { JobType, Role } from './events.js';

/** Inputs of the tRPC procedures: shared by the server (validation) and clients (types). */

const text = (max: number) => z.string().trim().max(max, `must be at most ${max} characters`);
const requiredText = (max: number) => text(max).min(1, 'must not be empty');
const entityId = z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters');

const MAX_SCANNERS = 32;
const clip = (value: string, max: number) => value.trim().slice(0, max);

export const SensorDetailsInput = z.object({
  name: text(200).default(''),
  hostname: text(255).default(''),
  version: text(64).default(''),
  os: text(64).default(''),
  arch: text(64).default(''),
  capabilities: z.array(requiredText(64)).max(32).default(['scan']),
  // A scanner's version is the first line it prints: a long one is cut, never refused.
  scannerVersions: z
    .record(z.string(), z.string())
    .refine((versions) => Object.keys(versions).length <= MAX_SCANNERS, `must list at most ${MAX_SCANNERS} scanners`)
    .transform((versions) => Object.fromEntries(Object.entries(versions).map(([name, version]) => [clip(name, 64), clip(version, 128)])))
    .default({}),
});

export const RegisterInput = SensorDetailsInput.extend({
  sensorId: entityId.optional(),
  registryUrl: text(2048).optional(),
}).refine((input) => input.name !== '' || input.hostname !== '', { message: 'name or hostname is required', path: ['name'] });
export type RegisterInput = z.input<typeof RegisterInput>;

export const HeartbeatInput = z.object({
  sensorId: entityId,
  /** The sensor's own clock, for skew diagnostics only. */
  sensorTime: z.iso.datetime({ offset: true }).optional(),
});

export const PollJobsInput = z.object({ sensorId: entityId });

export const JobOutcome = z.enum(['completed', 'failed', 'cancelled']);
export type JobOutcome = z.infer<typeof JobOutcome>;

export const ReportJobInput = z.object({
  sensorId: entityId,
  jobId: entityId,
  status: JobOutcome,
  error: text(4000).optional(),
});

export const UploadResultsInput = z.object({
  sensorId: entityId,
  jobId: entityId,
  scanStatus: requiredText(64),
  vulnerabilityCounts: z.record(text(32), z.number().int().min(0)).default({}),
  riskScore: z.number().nullable().default(null),
});

export const IdInput = z.object({ id: entityId });

export const CreateApiKeyInput = z.object({ name: requiredText(200) });

/** Bounds of a registry's scan schedule: at least a minute apart, at most thirty days. */
export const SCHEDULE_MIN_MS = 60_000;
export const SCHEDULE_MAX_MS = 30 * 24 * 60 * 60 * 1000;
const scheduleInterval = z
  .number()
  .int('must be a whole number of milliseconds')
  .min(SCHEDULE_MIN_MS, `must be at least ${SCHEDULE_MIN_MS} (one minute)`)
  .max(SCHEDULE_MAX_MS, `must be at most ${SCHEDULE_MAX_MS} (thirty days)`);

export const CreateRegistryInput = z.object({
  name: requiredText(200),
  url: requiredText(2048),
  scheduleIntervalMs: scheduleInterval.optional(),
});

export const SetScheduleInput = z.object({
  id: entityId,
  scheduleIntervalMs: scheduleInterval.nullable(),
});

export const BindRegistryInput = z.object({ sensorId: entityId, registryId: entityId });

export const ScanNowInput = z.object({ registryId: entityId, imageRef: requiredText(2048), type: JobType.optional() });

export const CancelJobInput = z.object({ jobId: entityId });

export const JobStatus = z.enum(['pending', 'assigned', 'completed', 'failed', 'cancelled']);
export type JobStatus = z.infer<typeof JobStatus>;

export const ListJobsInput = z
  .object({ sensorId: entityId.optional(), registryId: entityId.optional(), status: JobStatus.optional() })
  .default({});

export const CreateTokenInput = z.object({ role: Role, name: requiredText(200), orgId: entityId.optional() });

export const CreateOrgInput = z.object({ name: requiredText(200) });

export const ListSessionsInput = z.object({ tokenId: entityId });

/** Without a token: the caller's own sessions ("sign out everywhere"). */
export const EndAllSessionsInput = z.object({ tokenId: entityId.optional() }).default({});
