import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, TestServer } from '../support/test-server.js';
import { bearer, TrpcHttp, wire } from '../support/http-clients.js';
import { wireSensor } from '../support/sensor-clients.js';

const MiB = 1024 * 1024;

/** A scan envelope as the deployed agent uploads it, its findings padded to about `bytes`. */
function envelope(jobId: string, bytes: number) {
  const finding = { id: 'CVE-2026-0001', package: 'openssl', severity: 'HIGH', description: 'a'.repeat(900) };
  const findings = Array.from({ length: Math.ceil(bytes / 900) }, (_, i) => ({ ...finding, id: `CVE-2026-${i}` }));
  return {
    version: '1.0',
    sensor: { name: 'agent' },
    image: { ref: 'registry.example/big:1' },
    scan: { id: jobId, startedAt: '2026-11-27T10:00:00Z', finishedAt: '2026-11-27T10:01:00Z', status: 'SUCCESS' },
    findings: { trivy: findings },
    aggregates: { vulnerabilityCounts: { high: findings.length }, riskScore: 90 },
  };
}

describe('HTTP limits', () => {
  let server: TestServer;

  afterEach(async () => {
    await server.destroy();
  });

  async function withJob(maxUploadBytes?: number) {
    server = await TestServer.start(maxUploadBytes === undefined ? {} : { http: { maxUploadBytes } });
    const admin = new TrpcHttp(server.url, ADMIN_TOKEN);
    const key = (await admin.do<{ key: string }>('mutation', 'apiKeys.create', { name: 'fleet' })).key;
    const sensor = wireSensor(server.url, key);
    const id = await sensor.register({ name: 'scanner', hostname: 'node-1' });
    const registryId = (await admin.do<{ id: string }>('mutation', 'registries.create', { name: 'r', url: 'harbor.example' })).id;
    await admin.do('mutation', 'sensors.bindRegistry', { sensorId: id, registryId });
    const { jobId } = await admin.do<{ jobId: string }>('mutation', 'jobs.scanNow', { registryId, imageRef: 'registry.example/big:1' });
    expect((await sensor.poll(id)).jobs.map((j) => j.id)).toEqual([jobId]);
    return { admin, key, jobId, id };
  }

  it('accepts scan results of several MiB from the deployed agent and keeps their summary', async () => {
    const { admin, key, jobId } = await withJob();
    const body = envelope(jobId, 5 * MiB);
    expect(JSON.stringify(body).length).toBeGreaterThan(5 * MiB);
    const upload = await wire(server.url, key, 'POST', '/api/scans/upload', body);
    expect(upload).toMatchObject({ status: 200, body: { scanId: jobId } });
    const job = await admin.do('query', 'jobs.get', { id: jobId });
    expect(job.results).toMatchObject({ scanStatus: 'SUCCESS', vulnerabilityCounts: { high: body.findings.trivy.length }, riskScore: 90 });
  });

  it('refuses an upload over HARBORGUARD_MAX_UPLOAD_BYTES and any other body over 1 MiB with 413', async () => {
    const { key, jobId, id } = await withJob(2 * MiB);
    const upload = await wire(server.url, key, 'POST', '/api/scans/upload', envelope(jobId, 3 * MiB));
    expect(upload).toMatchObject({ status: 413, body: { error: 'Request body is larger than 2 MiB' } });
    const heartbeat = await wire(server.url, key, 'POST', '/api/agent/heartbeat', { agentId: id, status: 'x'.repeat(1.5 * MiB) });
    expect(heartbeat).toMatchObject({ status: 413, body: { error: 'Request body is larger than 1 MiB' } });
  });

  it('accepts an upload sent in pieces with a trailing newline, as a Go json.Encoder writes it', async () => {
    const { key, jobId } = await withJob();
    const text = `${JSON.stringify(envelope(jobId, 200 * 1024))}\n`;
    const pieces = [text.slice(0, 1000), text.slice(1000, -1), '\n'].map((piece) => new TextEncoder().encode(piece));
    const stream = new ReadableStream({
      start(controller) {
        for (const piece of pieces) controller.enqueue(piece);
        controller.close();
      },
    });
    const upload = await fetch(`${server.url}/api/scans/upload`, { method: 'POST', headers: { ...bearer(key), 'Content-Type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit);
    expect(upload.status).toBe(200);
  });

  it('answers an upload that is not a JSON object with 400', async () => {
    const { key } = await withJob();
    for (const body of ['[1,2]', '{"scan": {"id": "x"', '{"scan": {"id": "x"}} trailing', '"text"']) {
      const answer = await wire(server.url, key, 'POST', '/api/scans/upload', body);
      expect(answer.status, body).toBe(400);
    }
  });

  it('refuses a tRPC batch of more than 50 calls', async () => {
    server = await TestServer.start();
    const batch = (n: number) => fetch(`${server.url}/api/trpc/${Array(n).fill('session.whoami').join(',')}?batch=1`, { headers: bearer(ADMIN_TOKEN) });
    expect((await batch(50)).status).toBe(200);
    const refused = await batch(51);
    expect(refused.status).toBe(400);
    expect(JSON.stringify(await refused.json())).toContain('Batch call exceeds maximum size');
  });

  it('answers 429 with Retry-After once an address has failed 20 authentications, and still serves valid keys from it', async () => {
    const { key, id } = await withJob();
    const wrong = 'hg_wrong_key_0123456789';
    for (let i = 0; i < 20; i++) expect((await wire(server.url, wrong, 'POST', '/api/agent/heartbeat', { agentId: id })).status).toBe(401);
    const limited = await fetch(`${server.url}/api/agent/heartbeat`, { method: 'POST', headers: { ...bearer(wrong), 'Content-Type': 'application/json' }, body: '{}' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited.json()) as { error: string }).error).toContain('Too many failed authentications');

    const trpcLimited = await fetch(`${server.url}/api/trpc/session.whoami`, { headers: bearer(wrong) });
    expect(trpcLimited.status).toBe(429);
    expect(Number(trpcLimited.headers.get('retry-after'))).toBeGreaterThan(0);
    const signIn = await fetch(`${server.url}/api/session`, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: server.url }, body: JSON.stringify({ token: wrong }) });
    expect(signIn.status).toBe(429);

    expect((await wire(server.url, key, 'POST', '/api/agent/heartbeat', { agentId: id })).status).toBe(200);
    expect((await new TrpcHttp(server.url, ADMIN_TOKEN).query('session.whoami')).status).toBe(200);
  });
});
