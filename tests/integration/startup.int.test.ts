import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnServer, type SpawnedServer } from '../support/server-process.js';

const dirs: string[] = [];
const running: SpawnedServer[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.kill9();
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hg-start-'));
  dirs.push(dir);
  return dir;
}

/** Runs the built service until it exits, returning its exit code and output. */
async function run(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const server = spawnServer(env);
  running.push(server);
  const code = await server.exited;
  return { code, output: server.output() };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('start-up', () => {
  it('refuses an admin token that is easy to guess, with exit code 2 and the variable named', async () => {
    const { code, output } = await run({ HARBORGUARD_DATA_DIR: tempDir(), HARBORGUARD_ADMIN_TOKEN: 'xxxxxxxxxxxxxxxxxxxxxxxx' });
    expect(code).toBe(2);
    expect(output).toContain('HARBORGUARD_ADMIN_TOKEN is too easy to guess');
    expect(output).not.toContain('xxxxxxxxxxxxxxxxxxxxxxxx');
  });

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
    const server = spawnServer({ HARBORGUARD_DATA_DIR: tempDir(), EVENTSTORE_URL: `esdb://127.0.0.1:${port}?tls=false` });
    running.push(server);
    const [, url] = (await server.waitForOutput(/listening on (http:\/\/\S+)/, 15_000)) as unknown as [string, string];
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', ready: false });
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ ready: false, checks: { storeConnection: 'connecting' } });
    const api = await fetch(`${url}/api/agent/heartbeat`, { method: 'POST', body: '{}' });
    expect(api.status).toBe(503);
    await server.waitForOutput(/not reachable[\s\S]*not reachable/, 15_000);
  });
});
