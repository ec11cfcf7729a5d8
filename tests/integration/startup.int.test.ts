import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../../server/dist/main.js', import.meta.url));
const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hg-start-'));
  dirs.push(dir);
  return dir;
}

/** Runs the built service until it exits (or the deadline), returning its exit code and output. */
function run(env: Record<string, string>, timeoutMs = 15_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env['PATH'] ?? '', HOST: '127.0.0.1', PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('start-up', () => {
  it('refuses a wrong setting with a message naming the variable', async () => {
    const { code, output } = await run({ HARBORGUARD_DATA_DIR: tempDir(), HARBORGUARD_OFFLINE_AFTER_MS: 'soon' });
    expect(code).toBe(2);
    expect(output).toContain('HARBORGUARD_OFFLINE_AFTER_MS');
  });

  it('refuses a corrupt event store file, naming it, and leaves its bytes alone', async () => {
    const dir = tempDir();
    const file = join(dir, 'events.sqlite');
    const garbage = Buffer.from('this is not a database, it is a shopping list: eggs, milk\n'.repeat(200));
    writeFileSync(file, garbage);
    const { code, output } = await run({ HARBORGUARD_DATA_DIR: dir });
    expect(code).toBe(1);
    expect(output).toContain(file);
    expect(readFileSync(file).equals(garbage)).toBe(true);
  });

  it('answers /healthz while EventStoreDB is unreachable, says not ready, and logs each retry', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env['PATH'] ?? '', HOST: '127.0.0.1', PORT: '0', HARBORGUARD_DATA_DIR: tempDir(), EVENTSTORE_URL: `esdb://127.0.0.1:${port}?tls=false` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      const deadline = Date.now() + 15_000;
      let url: string | undefined;
      while (!url && Date.now() < deadline) {
        url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(url, output).toBeDefined();
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', ready: false });
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(503);
      const api = await fetch(`${url}/api/agent/heartbeat`, { method: 'POST', body: '{}' });
      expect(api.status).toBe(503);
      while (Date.now() < deadline && (output.match(/not reachable/g) ?? []).length < 2) await new Promise((resolve) => setTimeout(resolve, 50));
      expect((output.match(/not reachable/g) ?? []).length, output).toBeGreaterThanOrEqual(2);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
