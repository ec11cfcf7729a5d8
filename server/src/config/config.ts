import { z } from 'zod';
import { resolve } from 'node:path';

const positiveInt = (name: string) =>
  z.coerce.number({ error: `${name} must be a number` }).int(`${name} must be a whole number`).positive(`${name} must be positive`);

/** pino's levels, most to least severe; `silent` writes nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const ConfigSchema = z.object({
  PORT: z.coerce.number({ error: 'PORT must be a number' }).int('PORT must be a whole number').min(0, 'PORT must be 0–65535').max(65535, 'PORT must be 0–65535').default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  HARBORGUARD_DATA_DIR: z.string().min(1, 'HARBORGUARD_DATA_DIR must not be empty').default('./data'),
  EVENTSTORE_URL: z
    .string()
    .regex(/^(esdb|esdb\+discover|kurrentdb|kurrentdb\+discover|kurrent|kurrent\+discover):\/\/.+/, 'EVENTSTORE_URL must be an esdb:// connection string (leave it unset for the embedded store)')
    .optional(),
  HARBORGUARD_OFFLINE_AFTER_MS: positiveInt('HARBORGUARD_OFFLINE_AFTER_MS').default(120_000),
  HARBORGUARD_HEARTBEAT_INTERVAL_MS: positiveInt('HARBORGUARD_HEARTBEAT_INTERVAL_MS').default(30_000),
  HARBORGUARD_POLL_INTERVAL_MS: positiveInt('HARBORGUARD_POLL_INTERVAL_MS').default(10_000),
  HARBORGUARD_KEY_ROTATION_GRACE_MS: positiveInt('HARBORGUARD_KEY_ROTATION_GRACE_MS').default(24 * 60 * 60 * 1000),
  HARBORGUARD_ADMIN_TOKEN: z
    .string()
    .min(16, 'HARBORGUARD_ADMIN_TOKEN must be at least 16 characters')
    .refine((token) => new Set(token).size >= 6, 'HARBORGUARD_ADMIN_TOKEN is too easy to guess: use at least 6 different characters (e.g. `openssl rand -hex 24`)')
    .optional(),
  HARBORGUARD_ALLOWED_ORIGINS: z
    .string()
    .transform((value) => value.split(',').map((origin) => origin.trim()).filter(Boolean))
    .refine((origins) => origins.every(isOrigin), 'HARBORGUARD_ALLOWED_ORIGINS must be origins like https://hg.example.com, separated by commas')
    .default([]),
  HARBORGUARD_METRICS_TOKEN: z.string().min(16, 'HARBORGUARD_METRICS_TOKEN must be at least 16 characters').optional(),
  HARBORGUARD_MAX_UPLOAD_BYTES: positiveInt('HARBORGUARD_MAX_UPLOAD_BYTES').default(64 * 1024 * 1024),
  HARBORGUARD_MAX_SENSORS_PER_ORG: positiveInt('HARBORGUARD_MAX_SENSORS_PER_ORG').default(100_000),
  HARBORGUARD_SESSION_IDLE_MS: positiveInt('HARBORGUARD_SESSION_IDLE_MS').default(12 * 60 * 60 * 1000),
  HARBORGUARD_SESSION_MAX_MS: positiveInt('HARBORGUARD_SESSION_MAX_MS').default(7 * 24 * 60 * 60 * 1000),
  HARBORGUARD_PUBLIC_URL: z.url({ error: 'HARBORGUARD_PUBLIC_URL must be a URL like https://hg.example.com' }).optional(),
  HARBORGUARD_LOG_LEVEL: z.enum(LOG_LEVELS, { error: `HARBORGUARD_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  HARBORGUARD_CONTACT_CHECKPOINT_MS: positiveInt('HARBORGUARD_CONTACT_CHECKPOINT_MS').default(15_000),
  HARBORGUARD_JOB_TIMEOUT_MS: positiveInt('HARBORGUARD_JOB_TIMEOUT_MS').default(60 * 60 * 1000),
  HARBORGUARD_SECRET_KEY: z.string().min(16, 'HARBORGUARD_SECRET_KEY must be at least 16 characters').optional(),
  HARBORGUARD_NOTIFY_RETRY_MS: z
    .string()
    .regex(/^\s*\d+\s*(,\s*\d+\s*)*$/, 'HARBORGUARD_NOTIFY_RETRY_MS must be milliseconds separated by commas, e.g. 30000,120000')
    .transform((value) => value.split(',').map((ms) => Number(ms.trim())))
    .default([30_000, 120_000, 600_000, 3_600_000]),
  HARBORGUARD_NOTIFY_STORM_THRESHOLD: positiveInt('HARBORGUARD_NOTIFY_STORM_THRESHOLD').default(10),
  HARBORGUARD_NOTIFY_STORM_WINDOW_MS: positiveInt('HARBORGUARD_NOTIFY_STORM_WINDOW_MS').default(60_000),
  HARBORGUARD_AUDIT_ANCHOR_INTERVAL_MS: z.coerce
    .number({ error: 'HARBORGUARD_AUDIT_ANCHOR_INTERVAL_MS must be a number' })
    .int('HARBORGUARD_AUDIT_ANCHOR_INTERVAL_MS must be a whole number')
    .min(0, 'HARBORGUARD_AUDIT_ANCHOR_INTERVAL_MS must be 0 (off) or more')
    .default(60_000),
  HARBORGUARD_STORE_BACKLOG_LIMIT: positiveInt('HARBORGUARD_STORE_BACKLOG_LIMIT').default(200_000),
});

/** An origin as browsers send it: scheme, host and port only. */
function isOrigin(value: string): boolean {
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  eventStoreUrl: string | undefined;
  offlineAfterMs: number;
  heartbeatIntervalMs: number;
  pollIntervalMs: number;
  keyRotationGraceMs: number;
  adminToken: string | undefined;
  /** Origins besides the service's own whose pages may use the session cookie over WebSocket. */
  allowedOrigins: string[];
  /** When set, /metrics needs it as a bearer token. */
  metricsToken: string | undefined;
  /** The largest scan results upload; every other request body is limited to 1 MiB. */
  maxUploadBytes: number;
  /** How many sensors one org may have (rows re-created from a bare request count too). */
  maxSensorsPerOrg: number;
  /** Dashboard sessions end after this long unused, and this long after sign-in at most. */
  sessionIdleMs: number;
  sessionMaxMs: number;
  /** Where people reach the service; https makes the session cookie Secure. */
  publicUrl: string | undefined;
  /** The least severe log level written. */
  logLevel: LogLevel;
  /** How often last contacts are stored: after a restart a last contact is off by at most this. */
  contactCheckpointMs: number;
  /** A job running longer than this fails "timed out". */
  jobTimeoutMs: number;
  /** Key for channel secrets; generated into the data directory when unset. */
  secretKey: string | undefined;
  notifyRetryMs: number[];
  notifyStormThreshold: number;
  notifyStormWindowMs: number;
  /** How often the event log is anchored for tamper evidence; 0: never. */
  auditAnchorIntervalMs: number;
  /** Events kept for an event store that is away before readiness reports the backlog (none is dropped). */
  storeBacklogLimit: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Reads and validates configuration from the environment; throws a ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "not set", as shells make it easy to export empty values.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = ConfigSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? 'configuration');
      return issue.message.includes(variable) ? issue.message : `${variable}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const c = parsed.data;
  return {
    port: c.PORT,
    host: c.HOST,
    dataDir: resolve(c.HARBORGUARD_DATA_DIR),
    eventStoreUrl: c.EVENTSTORE_URL,
    offlineAfterMs: c.HARBORGUARD_OFFLINE_AFTER_MS,
    heartbeatIntervalMs: c.HARBORGUARD_HEARTBEAT_INTERVAL_MS,
    pollIntervalMs: c.HARBORGUARD_POLL_INTERVAL_MS,
    keyRotationGraceMs: c.HARBORGUARD_KEY_ROTATION_GRACE_MS,
    adminToken: c.HARBORGUARD_ADMIN_TOKEN,
    allowedOrigins: c.HARBORGUARD_ALLOWED_ORIGINS,
    metricsToken: c.HARBORGUARD_METRICS_TOKEN,
    maxUploadBytes: c.HARBORGUARD_MAX_UPLOAD_BYTES,
    maxSensorsPerOrg: c.HARBORGUARD_MAX_SENSORS_PER_ORG,
    sessionIdleMs: c.HARBORGUARD_SESSION_IDLE_MS,
    sessionMaxMs: c.HARBORGUARD_SESSION_MAX_MS,
    publicUrl: c.HARBORGUARD_PUBLIC_URL,
    logLevel: c.HARBORGUARD_LOG_LEVEL,
    contactCheckpointMs: c.HARBORGUARD_CONTACT_CHECKPOINT_MS,
    jobTimeoutMs: c.HARBORGUARD_JOB_TIMEOUT_MS,
    secretKey: c.HARBORGUARD_SECRET_KEY,
    notifyRetryMs: c.HARBORGUARD_NOTIFY_RETRY_MS,
    notifyStormThreshold: c.HARBORGUARD_NOTIFY_STORM_THRESHOLD,
    notifyStormWindowMs: c.HARBORGUARD_NOTIFY_STORM_WINDOW_MS,
    auditAnchorIntervalMs: c.HARBORGUARD_AUDIT_ANCHOR_INTERVAL_MS,
    storeBacklogLimit: c.HARBORGUARD_STORE_BACKLOG_LIMIT,
  };
}
