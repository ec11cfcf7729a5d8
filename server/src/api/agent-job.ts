import type { AssignedJob } from '../app/sensor-service.js';

/** A job as sensors receive it (the deployed agent matches `type` case-insensitively). */
export function agentJob({ job, scanners }: AssignedJob) {
  const base = { id: job.id, type: job.type.toUpperCase(), createdAt: job.createdAt, registryId: job.registryId };
  return job.type === 'patch'
    ? { ...base, patch: { imageRef: job.imageRef, cves: [] as string[], strategy: 'auto' } }
    : { ...base, scan: { imageRef: job.imageRef, source: 'registry', scanners } };
}
