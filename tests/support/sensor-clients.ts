import { TrpcHttp, wire, type HttpResult } from './http-clients.js';

export interface SensorIdentity {
  name: string;
  hostname: string;
  version?: string;
  capabilities?: string[];
  scannerVersions?: Record<string, string>;
}

export interface PolledJob {
  id: string;
  type: string;
}

/**
 * One sensor's view of the API. Two implementations: the native tRPC procedures, and the
 * wire routes exactly as the deployed agent speaks them. Scenarios run against both.
 */
export interface SensorClient {
  readonly kind: 'tRPC' | 'wire';
  register(identity: SensorIdentity): Promise<string>;
  heartbeat(sensorId: string): Promise<number>;
  poll(sensorId: string): Promise<{ status: number; jobs: PolledJob[]; cancelJobs: string[] }>;
  report(sensorId: string, jobId: string, status: 'completed' | 'failed' | 'cancelled', error?: string): Promise<HttpResult>;
  upload(sensorId: string, jobId: string, counts: Record<string, number>, riskScore: number): Promise<number>;
}

const details = (identity: SensorIdentity) => ({
  name: identity.name,
  hostname: identity.hostname,
  version: identity.version ?? '0.1.0',
  os: 'linux',
  arch: 'amd64',
  scannerVersions: identity.scannerVersions ?? { trivy: '0.58.1' },
  capabilities: identity.capabilities ?? ['scan'],
});

export function trpcSensor(baseUrl: string, key: string): SensorClient {
  const api = new TrpcHttp(baseUrl, key);
  return {
    kind: 'tRPC',
    async register(identity) {
      return (await api.do<{ sensorId: string }>('mutation', 'agent.register', details(identity))).sensorId;
    },
    async heartbeat(sensorId) {
      return (await api.mutation('agent.heartbeat', { sensorId })).status;
    },
    async poll(sensorId) {
      const result = await api.mutation<{ jobs: PolledJob[]; cancelJobs: string[] }>('agent.pollJobs', { sensorId });
      const data = result.body.result?.data;
      return { status: result.status, jobs: data?.jobs ?? [], cancelJobs: data?.cancelJobs ?? [] };
    },
    async report(sensorId, jobId, status, error) {
      return api.mutation('agent.reportJob', { sensorId, jobId, status, ...(error ? { error } : {}) });
    },
    async upload(sensorId, jobId, counts, riskScore) {
      return (await api.mutation('agent.uploadResults', { sensorId, jobId, scanStatus: 'SUCCESS', vulnerabilityCounts: counts, riskScore })).status;
    },
  };
}

export function wireSensor(baseUrl: string, key: string): SensorClient {
  return {
    kind: 'wire',
    async register(identity) {
      const result = await wire<{ agentId: string }>(baseUrl, key, 'POST', '/api/agent/register', { ...details(identity), s3Configured: false });
      if (result.status !== 200) throw new Error(`register → ${result.status}: ${JSON.stringify(result.body)}`);
      return result.body.agentId;
    },
    async heartbeat(sensorId) {
      return (await wire(baseUrl, key, 'POST', '/api/agent/heartbeat', { agentId: sensorId, status: 'idle', activeScans: 0, uptimeSeconds: 60 })).status;
    },
    async poll(sensorId) {
      const result = await wire<{ jobs: PolledJob[]; cancelJobs: string[] }>(baseUrl, key, 'GET', `/api/agent/jobs?agentId=${encodeURIComponent(sensorId)}`);
      return { status: result.status, jobs: result.body?.jobs ?? [], cancelJobs: result.body?.cancelJobs ?? [] };
    },
    async report(_sensorId, jobId, status, error) {
      return wire(baseUrl, key, 'POST', `/api/agent/jobs/${jobId}/status`, { status, ...(error ? { error } : {}) });
    },
    async upload(_sensorId, jobId, counts, riskScore) {
      const envelope = {
        version: '1.0',
        sensor: { name: 'agent' },
        image: { ref: 'registry.example/app:1.2' },
        scan: { id: jobId, startedAt: '2026-11-27T10:00:00Z', finishedAt: '2026-11-27T10:01:00Z', status: 'SUCCESS' },
        findings: { vulnerabilities: [] },
        aggregates: { vulnerabilityCounts: counts, riskScore },
      };
      return (await wire(baseUrl, key, 'POST', '/api/scans/upload', envelope)).status;
    },
  };
}
