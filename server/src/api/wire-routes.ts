import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { RegisterInput } from '@harborguard/shared';
import { AppError } from '../domain/errors.js';
import type { SensorPrincipal } from '../app/principal.js';
import type { Context } from './context.js';
import type { ApiServices } from './services.js';
import { countingFailures } from './auth-limiter.js';
import { readJsonBody, readJsonFields, sendJson } from './json-body.js';
import { answerRefusal, decodeComponent } from './http-answers.js';
import { agentId, parse, UPLOAD_FIELDS, WireJobStatus, WireRegister, WireUpload } from './wire-schemas.js';
import { agentJob } from './agent-job.js';

/**
 * The HTTP+JSON routes deployed sensor agents already speak. Same implementation as the
 * tRPC `agent.*` procedures; only the shapes on the wire differ. The heartbeat has a module
 * of its own (wire-heartbeat.ts), served ahead of the route table.
 */

export interface WireLimits {
  /** The results upload carries every finding of a scan: it alone may exceed 1 MiB. */
  maxUploadBytes: number;
}

interface WireCall {
  app: ApiServices;
  principal: SensorPrincipal;
  req: IncomingMessage;
  target: string;
  limits: WireLimits;
}

type Answer = [status: number, body: unknown];

const ROUTES: Record<string, (call: WireCall, jobId: string) => Promise<Answer>> = {
  async register({ app, principal, req }) {
    const body = parse(WireRegister, await readJsonBody(req));
    // The agent's name defaults to its host name.
    const input = parse(RegisterInput, { ...body, name: body.name || body.hostname || '' });
    const { sensorId } = await app.sensors.register(principal, input);
    return [200, { agentId: sensorId }];
  },
  async jobs({ app, principal, target }) {
    const id = new URL(target, 'http://localhost').searchParams.get('agentId');
    if (!id) throw new AppError('bad_request', 'agentId: query parameter is required');
    parse(agentId, id);
    const { jobs, cancelJobs } = await app.sensors.poll(principal, id);
    return [200, { jobs: jobs.map(agentJob), cancelJobs }];
  },
  async 'job-status'({ app, principal, req }, jobId) {
    const body = parse(WireJobStatus, await readJsonBody(req));
    const job = await app.sensors.report(principal, { jobId, status: body.status, error: body.error });
    return [200, { ok: true, jobId: job.id, status: job.status }];
  },
  async upload({ app, principal, req, limits }) {
    const envelope = parse(WireUpload, await readJsonFields(req, UPLOAD_FIELDS, limits.maxUploadBytes));
    await app.sensors.upload(principal, {
      jobId: envelope.scan.id,
      scanStatus: envelope.scan.status,
      vulnerabilityCounts: envelope.aggregates?.vulnerabilityCounts ?? {},
      riskScore: envelope.aggregates?.riskScore ?? null,
    });
    const imageId = createHash('sha256').update(envelope.image?.ref ?? envelope.scan.id).digest('hex').slice(0, 32);
    return [200, { scanId: envelope.scan.id, imageId }];
  },
};

/** Handles a wire route, or returns false when the path is not one. */
export async function handleWireRoute(ctx: Context, req: IncomingMessage, res: ServerResponse, path: string, target: string, limits: WireLimits): Promise<boolean> {
  const route = matchRoute(req.method ?? 'GET', path);
  if (!route) return false;
  try {
    if (route === 'method-not-allowed') throw new AppError('not_found', `No route ${req.method} ${path}`);
    const app = ctx.app;
    if (!app?.ready) throw new AppError('unavailable', 'Service is starting; retry shortly');
    const principal = await countingFailures(ctx.authLimiter, ctx.clientAddress, () => app.access.authenticateSensor(req.headers.authorization));
    const jobId = route.name === 'job-status' ? decodeComponent(route.jobId, 'Job id in the path') : '';
    const [status, body] = await ROUTES[route.name]!({ app, principal, req, target, limits }, jobId);
    sendJson(res, status, body);
  } catch (error) {
    if (!answerRefusal(res, error)) throw error;
  }
  return true;
}

type Route = { name: 'register' | 'jobs' | 'upload' } | { name: 'job-status'; jobId: string };

const JOB_STATUS_PATH = /^\/api\/agent\/jobs\/([^/]+)\/status$/;

function matchRoute(method: string, path: string): Route | 'method-not-allowed' | null {
  const expect = (wanted: string, route: Route) => (method === wanted ? route : 'method-not-allowed');
  if (path === '/api/agent/register') return expect('POST', { name: 'register' });
  if (path === '/api/agent/jobs') return expect('GET', { name: 'jobs' });
  if (path === '/api/scans/upload') return expect('POST', { name: 'upload' });
  const status = JOB_STATUS_PATH.exec(path);
  if (status) return expect('POST', { name: 'job-status', jobId: status[1]! });
  return null;
}
