import { z } from 'zod';
import { util } from 'zod/v4/core';
import { JobOutcome } from '@harborguard/shared';
import { AppError } from '../domain/errors.js';
import { describeZodError } from './trpc.js';

/** The bodies deployed sensor agents send (see the sensor wire protocol); unknown fields pass. */

export const agentId = z.string({ error: 'is required' }).min(1, 'must not be empty').max(128, 'must be at most 128 characters');

export const WireRegister = z
  .object({
    name: z.string().optional(),
    hostname: z.string().optional(),
    version: z.string().optional(),
    os: z.string().optional(),
    arch: z.string().optional(),
    scannerVersions: z.record(z.string(), z.string()).optional(),
    capabilities: z.array(z.string()).optional(),
    s3Configured: z.boolean().optional(),
    registryUrl: z.string().optional(),
    sensorId: z.string().optional(),
  })
  .loose();

export const WireHeartbeat = z.object({
  agentId,
  status: z.string().optional(),
  activeScans: z.number().optional(),
  uptimeSeconds: z.number().optional(),
});

export const WireJobStatus = z.object({ status: JobOutcome, error: z.string().max(4000).optional() });

/** The parts of a scan envelope the service keeps; its findings are read past, never stored. */
export const WireUpload = z
  .object({
    scan: z.object({ id: z.string({ error: 'is required' }).min(1), status: z.string().max(64).default('SUCCESS') }),
    image: z.object({ ref: z.string().optional() }).loose().optional(),
    aggregates: z
      .object({
        vulnerabilityCounts: z.record(z.string().max(32), z.number().int('must be a whole number').min(0, 'must not be negative')).default({}),
        riskScore: z.number().nullable().optional(),
      })
      .loose()
      .optional(),
  })
  .loose();

export const UPLOAD_FIELDS = ['scan', 'image', 'aggregates'] as const;

export function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new AppError('bad_request', describeZodError(result.error));
  return result.data;
}

const optionalNumber = (value: unknown) => value === undefined || (typeof value === 'number' && Number.isFinite(value));

/**
 * Whether WireHeartbeat accepts `body`, decided by hand: this runs for every heartbeat, where
 * the schema costs more than the rest of the route's own work. It accepts exactly what the
 * schema accepts (a property test holds the two together).
 */
export function acceptsHeartbeat(body: unknown): body is { agentId: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const { agentId: id, status, activeScans, uptimeSeconds } = body as Record<string, unknown>;
  return typeof id === 'string' && agentIdFits(id) && (status === undefined || typeof status === 'string') && optionalNumber(activeScans) && optionalNumber(uptimeSeconds);
}

/** `agentId`'s length rule: 1 to 128 code points, as the schema counts them (a surrogate pair is one). */
function agentIdFits(id: string): boolean {
  return id.length >= 1 && (id.length <= 128 || util.codePointLength(id) <= 128);
}

/** The agent id of a heartbeat body; a body the schema refuses gets its 400 with the schema's own words. */
export function heartbeatAgentId(body: unknown): string {
  return acceptsHeartbeat(body) ? body.agentId : parse(WireHeartbeat, body).agentId;
}
