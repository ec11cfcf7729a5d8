import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrpcHttp, wire } from '../support/http-clients.js';
import { commandLine, serviceChildPid } from '../support/server-process.js';

const LAUNCHER = fileURLToPath(new URL('../../server/dist/runtime/launch.js', import.meta.url));
const ADMIN = 'memory-test-admin-token-0123456789';
/** A heap so small that a few thousand sensors reach its high-water mark. */
const HEAP_MB = 48;
/** Far more sensors than the heap above can hold: the loop ends at the first refusal. */
const MAX_ATTEMPTS = 200_000;
const PARALLEL = 8;

/** Every launcher started here, stopped after the tests whatever happened. */
const started: ChildProcess[] = [];

interface Launched {
  child: ChildProcess;
  output: () => string;
  url: string;
}

/** `npm start`'s launcher with a tiny heap; resolves once the service listens. */
function launch(env: Record<string, string>): Promise<Launched> {
  const child = spawn(process.execPath, [LAUNCHER], { env: { PATH: process.env['PATH'] ?? '', PORT: '0', HOST: '127.0.0.1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const seen = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (url && /ready:/.test(output)) resolve({ child, output: () => output, url });
    };
    child.stdout!.on('data', seen);
    child.stderr!.on('data', seen);
    child.once('exit', (code) => reject(new Error(`service exited with ${code} before it was ready:\n${output}`)));
  });
}

const registration = (n: number) => ({ name: `scanner-${n}`, hostname: `host-${n}.example`, version: '0.1.0', os: 'linux', arch: 'amd64', capabilities: ['scan'] });

/** The service near its heap limit: new sensors refused with a clear 503, the ones it has still served, no crash. */
describe('memory limit', () => {
  let dataDir: string;
  let service: Launched;
  let key: string;
  const accepted: string[] = [];
  let refusal: { status: number; error: string } | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'hg-memory-'));
    service = await launch({ HARBORGUARD_DATA_DIR: dataDir, HARBORGUARD_ADMIN_TOKEN: ADMIN, HARBORGUARD_MAX_HEAP_MB: String(HEAP_MB), HARBORGUARD_MAX_SENSORS_PER_ORG: String(MAX_ATTEMPTS) });
    key = (await new TrpcHttp(service.url, ADMIN).do<{ key: string }>('mutation', 'apiKeys.create', { name: 'fleet' })).key;
    let next = 0;
    const worker = async () => {
      while (refusal === undefined && next < MAX_ATTEMPTS) {
        const answer = await wire<{ agentId?: string; error?: string }>(service.url, key, 'POST', '/api/agent/register', registration(next++));
        if (answer.status === 200) accepted.push(answer.body.agentId!);
        else refusal ??= { status: answer.status, error: answer.body.error ?? '' };
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
  }, 300_000);

  afterAll(async () => {
    for (const child of started) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      // The launcher passes SIGTERM on to the service and exits with it.
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts with the heap size it was given', () => {
    expect(service.output()).toContain(`JavaScript heap limit ${HEAP_MB} MB (HARBORGUARD_MAX_HEAP_MB)`);
  });

  it('runs the service with the V8 background threads it announced', () => {
    const announced = /V8 background threads (\d+) \((\d+) cores?/.exec(service.output());
    expect(announced, service.output()).not.toBeNull();
    const [threads, cores] = [Number(announced![1]), Number(announced![2])];
    expect(cores).toBeLessThanOrEqual(availableParallelism());
    expect(threads).toBe(Math.max(1, Math.min(4, cores - 1)));
    const servicePid = serviceChildPid(service.child.pid!);
    expect(servicePid, 'the launcher runs the service as its child').not.toBeNull();
    expect(commandLine(servicePid!)).toContain(`--v8-pool-size=${threads}`);
  });

  it('refuses new sensors with a 503 saying the service is at its memory limit, before running out', () => {
    expect(accepted.length).toBeGreaterThan(0);
    expect(refusal).toEqual({ status: 503, error: expect.stringMatching(/memory limit.*new sensors are refused.*HARBORGUARD_MAX_HEAP_MB.*existing sensors keep working/) });
  });

  it('refuses a sensor created by a bare heartbeat too, and keeps serving every sensor it has', async () => {
    const unknown = await wire(service.url, key, 'POST', '/api/agent/heartbeat', { agentId: 'never-seen-before' });
    expect(unknown.status).toBe(503);
    const sample = [accepted[0]!, accepted[Math.floor(accepted.length / 2)]!, accepted[accepted.length - 1]!];
    for (const agentId of sample) {
      const beat = await wire<{ status: string }>(service.url, key, 'POST', '/api/agent/heartbeat', { agentId });
      expect(beat.status).toBe(200);
      expect(beat.body.status).toBe('online');
    }
    // A known sensor registering again is not a new sensor.
    expect((await wire(service.url, key, 'POST', '/api/agent/register', registration(0))).status).toBe(200);
  });

  it('says why on /readyz and in fleet.summary, counts the refusals, and is still running', async () => {
    const ready = await fetch(`${service.url}/readyz`);
    const body = (await ready.json()) as { ready: boolean; checks: Record<string, string> };
    expect(body.ready).toBe(true);
    expect(body.checks['memory']).toMatch(/memory limit/);
    const summary = await new TrpcHttp(service.url, ADMIN).do<{ total: number; memoryLimit?: string }>('query', 'fleet.summary', undefined);
    expect(summary.memoryLimit).toMatch(/new sensors are refused/);
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(Number(/^harborguard_sensors_refused_memory_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    expect(metrics).toMatch(/^harborguard_memory_refusing_new_sensors 1$/m);
    expect(service.child.exitCode).toBeNull();
    expect(service.output()).not.toMatch(/heap out of memory/);
  });
});
