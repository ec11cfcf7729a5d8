import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { JobOutcome, RegisterInput } from '@harborguard/shared';
import { AppError } from '../domain/errors.js';
import type { HarborGuard } from '../app/harborguard.js';
import { readJsonBody, sendJson } from '../http/body.js';
import { describeZodError } from './trpc.js';
import { agentJob } from './agent-job.js';

/**
 * The HTTP+JSON routes deployed sensor agents already speak. Same implementation as the
 * tRPC `agent.*` procedures; only the shapes on the wire differ.
 */

const agentId = z.string({ error: 'is required' }).min(1, 'must not be empty').max(128, 'must be at most 128 characters');

const WireRegister = z
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

const WireHeartbeat = z.object({
  agentId,
  status: z.string().optional(),
  activeScans: z.number().optional(),
  uptimeSeconds: z.number().optional(),
});

const WireJobStatus = z.object({ status: JobOutcome, error: z.string().max(4000).optional() });

const WireUpload = z.object({
  scan: z.object({ id: z.string({ error: 'is required' }).min(1), status: z.string().max(64).default('SUCCESS') }),
  image: z.object({ ref: z.string().optional() }).loose().optional(),
  aggregates: z
    .object({
      vulnerabilityCounts: z.record(z.string().max(32), z.number().int('must be a whole number').min(0, 'must not be negative')).default({}),
      riskScore: z.number().nullable().optional(),
    })
    .loose()
    .optional(),
}).loose();

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new AppError('bad_request', describeZodError(result.error));
  return result.data;
}

const JOB_STATUS_PATH = /^\/api\/agent\/jobs\/([^/]+)\/status$/;

/** Handles a wire route, or returns false when the path is not one. */
export async function handleWireRoute(app: HarborGuard | null, req: IncomingMessage, res: ServerResponse, path: string, target: string): Promise<boolean> {
  const route = matchRoute(req.method ?? 'GET', path);
  if (!route) return false;
  try {
    if (route === 'method-not-allowed') throw new AppError('not_found', `No route ${req.method} ${path}`);
    if (!app?.ready) throw new AppError('unavailable', 'Service is starting; retry shortly');
    const principal = app.access.authenticateSensor(req.headers.authorization);
    switch (route.name) {
      case 'register': {
        const body = parse(WireRegister, await readJsonBody(req));
        // The agent's name defaults to its host name.
        const input = parse(RegisterInput, { ...body, name: body.name || body.hostname || '' });
        const { sensorId } = await app.sensors.register(principal, input);
        return sendJson(res, 200, { agentId: sensorId }), true;
      }
      case 'heartbeat': {
        const body = parse(WireHeartbeat, await readJsonBody(req));
        const ack = app.sensors.quietHeartbeat(principal, body.agentId) ?? (await app.sensors.heartbeat(principal, body.agentId));
        return sendJson(res, 200, { ok: true, ...ack, nextHeartbeatInMs: app.options.heartbeatIntervalMs }), true;
      }
      case 'jobs': {
        const id = new URL(target, 'http://localhost').searchParams.get('agentId');
        if (!id) throw new AppError('bad_request', 'agentId: query parameter is required');
        parse(agentId, id);
        const { jobs, cancelJobs } = await app.sensors.poll(principal, id);
        return sendJson(res, 200, { jobs: jobs.map(agentJob), cancelJobs }), true;
      }
      case 'job-status': {
        const body = parse(WireJobStatus, await readJsonBody(req));
        const job = await app.sensors.report(principal, { jobId: route.jobId, status: body.status, error: body.error });
        return sendJson(res, 200, { ok: true, jobId: job.id, status: job.status }), true;
      }
      case 'upload': {
        const envelope = parse(WireUpload, await readJsonBody(req));
        await app.sensors.upload(principal, {
          jobId: envelope.scan.id,
          scanStatus: envelope.scan.status,
          vulnerabilityCounts: envelope.aggregates?.vulnerabilityCounts ?? {},
          riskScore: envelope.aggregates?.riskScore ?? null,
        });
        const imageId = createHash('sha256').update(envelope.image?.ref ?? envelope.scan.id).digest('hex').slice(0, 32);
        return sendJson(res, 200, { scanId: envelope.scan.id, imageId }), true;
      }
    }
  } catch (error) {
    if (error instanceof AppError) return sendJson(res, error.status, { error: error.message }), true;
    throw error;
  }
}

type Route = { name: 'register' | 'heartbeat' | 'jobs' | 'upload' } | { name: 'job-status'; jobId: string };

function matchRoute(method: string, path: string): Route | 'method-not-allowed' | null {
  const expect = (wanted: string, route: Route) => (method === wanted ? route : 'method-not-allowed');
  if (path === '/api/agent/register') return expect('POST', { name: 'register' });
  if (path === '/api/agent/heartbeat') return expect('POST', { name: 'heartbeat' });
  if (path === '/api/agent/jobs') return expect('GET', { name: 'jobs' });
  if (path === '/api/scans/upload') return expect('POST', { name: 'upload' });
  const status = JOB_STATUS_PATH.exec(path);
  if (status) return expect('POST', { name: 'job-status', jobId: decodeURIComponent(status[1]!) });
  return null;
}
