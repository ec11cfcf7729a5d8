/** Request bodies and answer decoding of the sensor wire protocol, as the agent sends and reads them. */

export const AGENT_PATHS = {
  register: '/api/agent/register',
  heartbeat: '/api/agent/heartbeat',
  jobs: (agentId: string) => `/api/agent/jobs?agentId=${encodeURIComponent(agentId)}`,
  jobStatus: (jobId: string) => `/api/agent/jobs/${encodeURIComponent(jobId)}/status`,
  upload: '/api/scans/upload',
} as const;

export interface RegisterRequest {
  name: string;
  version: string;
  hostname: string;
  os: string;
  arch: string;
  scannerVersions: Record<string, string>;
  capabilities: string[];
  s3Configured: boolean;
}

export interface HeartbeatRequest {
  agentId: string;
  status: 'idle' | 'scanning';
  activeScans: number;
  uptimeSeconds: number;
}

export type JobStatusReport = { status: 'completed' } | { status: 'cancelled' } | { status: 'failed'; error: string };

export interface ScanSpec {
  imageRef: string;
  source: string;
  scanners: string[];
}

/** A job the sensor will run; anything else in a poll answer is skipped. */
export type RunnableJob =
  | { id: string; kind: 'scan'; scan: ScanSpec }
  | { id: string; kind: 'patch'; imageRef: string };

export interface JobsAnswer {
  /** `undefined` when the answer had no `jobs` field: the agent then re-requests and reads a bare array. */
  jobs: unknown[] | undefined;
  cancelJobs: string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function readAgentId(body: unknown): string | undefined {
  if (!isRecord(body)) return undefined;
  const id = body['agentId'];
  return typeof id === 'string' && id !== '' ? id : undefined;
}

export function readJobsAnswer(body: unknown): JobsAnswer {
  if (!isRecord(body)) return { jobs: undefined, cancelJobs: [] };
  const jobs = body['jobs'];
  const cancel = body['cancelJobs'];
  return {
    jobs: Array.isArray(jobs) ? jobs : undefined,
    cancelJobs: Array.isArray(cancel) ? cancel.filter((id): id is string => typeof id === 'string') : [],
  };
}

/** Decodes one job like the agent: `type` case-insensitive, a scan job without `scan` is skipped. */
export function toRunnableJob(raw: unknown): RunnableJob | { skip: string } {
  if (!isRecord(raw) || typeof raw['id'] !== 'string') return { skip: 'job without an id' };
  const id = raw['id'];
  const type = typeof raw['type'] === 'string' ? raw['type'].toLowerCase() : '';
  if (type === 'scan') {
    const scan = raw['scan'];
    if (!isRecord(scan) || typeof scan['imageRef'] !== 'string') return { skip: `scan job ${id} without a scan object` };
    const scanners = Array.isArray(scan['scanners']) ? scan['scanners'].filter((s): s is string => typeof s === 'string') : [];
    return {
      id,
      kind: 'scan',
      scan: { imageRef: scan['imageRef'], source: typeof scan['source'] === 'string' ? scan['source'] : 'registry', scanners },
    };
  }
  if (type === 'patch') {
    const patch = raw['patch'];
    const imageRef = isRecord(patch) && typeof patch['imageRef'] === 'string' ? patch['imageRef'] : '';
    return { id, kind: 'patch', imageRef };
  }
  return { skip: `job ${id} of unknown type "${String(raw['type'])}"` };
}
