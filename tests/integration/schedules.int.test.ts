import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, TestServer } from '../support/test-server.js';
import { TrpcHttp } from '../support/http-clients.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** Registry schedules: bounded, clamped when stored out of bounds, one scan per interval across restarts. */
describe('registry schedules', () => {
  let server: TestServer;
  afterEach(() => server?.destroy());

  const scheduledJobs = async (registryId: string) => {
    const jobs = await new TrpcHttp(server.url, ADMIN_TOKEN).do<{ source: string }[]>('query', 'jobs.list', { registryId });
    return jobs.filter((job) => job.source === 'schedule').length;
  };

  it('refuses intervals under a minute or over thirty days, naming the field', async () => {
    server = await TestServer.start();
    const admin = new TrpcHttp(server.url, ADMIN_TOKEN);
    const { id } = await admin.do<{ id: string }>('mutation', 'registries.create', { name: 'harbor', url: 'harbor.example' });
    for (const scheduleIntervalMs of [2 ** 33, 31 * DAY, 59_999, 90_000.5]) {
      const answer = await admin.mutation('registries.setSchedule', { id, scheduleIntervalMs });
      expect(answer.status, `${scheduleIntervalMs}: ${JSON.stringify(answer.body)}`).toBe(400);
      expect(answer.body.error?.message).toMatch(/^scheduleIntervalMs: must be (at least|at most|a whole number)/);
    }
    const created = await admin.mutation('registries.create', { name: 'other', url: 'o.example', scheduleIntervalMs: 2 ** 33 });
    expect(created.status).toBe(400);
    expect((await admin.mutation('registries.setSchedule', { id, scheduleIntervalMs: 30 * DAY })).status).toBe(200);
  });

  it('clamps an interval stored before the bounds, says so in the log, and does not spin', async () => {
    server = await TestServer.start();
    const admin = new TrpcHttp(server.url, ADMIN_TOKEN);
    const { id } = await admin.do<{ id: string }>('mutation', 'registries.create', { name: 'harbor', url: 'harbor.example' });
    // A value older versions accepted: beyond what a Node timer can wait.
    await server.store.appendToStream(`registry-${id}`, [
      { id: crypto.randomUUID(), type: 'RegistryScheduleChanged', data: { registryId: id, scheduleIntervalMs: 2 ** 33 }, metadata: { orgId: 'default', occurredAt: new Date(server.clock.now()).toISOString(), actor: { kind: 'system', id: 'old-version' } } },
    ]);
    const lines: string[] = [];
    const { dataDir, clock } = server;
    await server.stop();
    server = await TestServer.start({ dataDir, clock, log: (line) => lines.push(line) });
    expect(lines.some((line) => line.includes(`registry ${id}`) && line.includes('out of bounds') && line.includes(`${30 * DAY} ms`))).toBe(true);
    await server.advance(DAY);
    expect(await scheduledJobs(id)).toBe(0);
    await server.advance(29 * DAY);
    expect(await scheduledJobs(id)).toBe(1);
  });

  it('schedules one scan per interval, and a restart does not schedule an extra one', async () => {
    server = await TestServer.start();
    const admin = new TrpcHttp(server.url, ADMIN_TOKEN);
    // No sensor is bound, so every scan fails at once, saying so; the next can be scheduled.
    const { id } = await admin.do<{ id: string }>('mutation', 'registries.create', { name: 'harbor', url: 'harbor.example', scheduleIntervalMs: 10 * MINUTE });
    await server.advance(10 * MINUTE);
    expect(await scheduledJobs(id)).toBe(1);
    const [first] = await admin.do<{ id: string; status: string; reason: string }[]>('query', 'jobs.list', { registryId: id });
    expect(first).toMatchObject({ status: 'failed', reason: 'No sensor is bound to registry "harbor"' });

    await server.advance(4 * MINUTE);
    const { dataDir, clock } = server;
    await server.stop();
    server = await TestServer.start({ dataDir, clock });
    await server.advance(5 * MINUTE);
    expect(await scheduledJobs(id)).toBe(1);
    await server.advance(1 * MINUTE);
    expect(await scheduledJobs(id)).toBe(2);
  });
});
