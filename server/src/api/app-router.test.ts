import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { TRPCError } from '@trpc/server';
import { InMemoryEventStore, withCatalogValidation } from '@harborguard/eventstore';
import type { Role } from '@harborguard/shared';
import { HarborGuard } from '../app/harborguard.js';
import { appRouter } from './app-router.js';
import { FailedAuthLimiter } from './auth-limiter.js';

/** Every procedure, called through the router as a request would be: role and org checks included. */
const ADMIN = 'router-test-admin-token-5b1f';
let app: HarborGuard;
const callerWith = (secret: string | undefined) =>
  appRouter.createCaller({ app, authorization: secret === undefined ? undefined : `Bearer ${secret}`, clientAddress: 'test', authLimiter: new FailedAuthLimiter() });

async function codeOf(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return 'OK';
  } catch (error) {
    return error instanceof TRPCError ? error.code : `thrown: ${String(error)}`;
  }
}

let tokens: Record<Role, string>;
let otherAdmin: string;
let sensorKey: string;
let ids: { sensor: string; registry: string; job: string; apiKey: string; token: string };

beforeAll(async () => {
  const clock = new SimulatedClock();
  clock.set(Date.parse('2026-11-27T10:00:00Z'));
  app = HarborGuard.create({ store: withCatalogValidation(new InMemoryEventStore()), clock, offlineAfterMs: 120_000, heartbeatIntervalMs: 30_000, pollIntervalMs: 10_000, keyRotationGraceMs: 1_000, adminToken: ADMIN, log: () => {} });
  await app.start();
  const admin = callerWith(ADMIN);
  tokens = {
    admin: ADMIN,
    operator: (await admin.tokens.create({ role: 'operator', name: 'op' })).token,
    auditor: (await admin.tokens.create({ role: 'auditor', name: 'au' })).token,
  };
  const apiKey = await admin.apiKeys.create({ name: 'fleet' });
  sensorKey = apiKey.key;
  const { sensorId } = await callerWith(sensorKey).agent.register({ name: 's1', hostname: 'h1' });
  const { id: registry } = await admin.registries.create({ name: 'harbor', url: 'harbor.example' });
  await admin.sensors.bindRegistry({ sensorId, registryId: registry });
  const { jobId } = await admin.jobs.scanNow({ registryId: registry, imageRef: 'app:1' });
  const { id: orgId } = await admin.orgs.create({ name: 'acme' });
  otherAdmin = (await admin.tokens.create({ role: 'admin', name: 'acme admin', orgId })).token;
  ids = { sensor: sensorId, registry, job: jobId, apiKey: apiKey.id, token: (await admin.tokens.list())[1]!.id };
});

afterAll(() => app.stop());

/** Each procedure a person calls, with the least role it needs and valid input naming this org's records. */
const procedures: Array<[name: string, needs: Role, call: (c: ReturnType<typeof callerWith>) => Promise<unknown>]> = [
  ['sensors.list', 'auditor', (c) => c.sensors.list({})],
  ['sensors.get', 'auditor', (c) => c.sensors.get({ id: ids.sensor })],
  ['registries.list', 'auditor', (c) => c.registries.list()],
  ['registries.get', 'auditor', (c) => c.registries.get({ id: ids.registry })],
  ['jobs.get', 'auditor', (c) => c.jobs.get({ id: ids.job })],
  ['jobs.list', 'auditor', (c) => c.jobs.list({})],
  ['fleet.summary', 'auditor', (c) => c.fleet.summary()],
  ['audit.events', 'auditor', (c) => c.audit.events({ limit: 5 })],
  ['session.whoami', 'auditor', (c) => c.session.whoami()],
  ['apiKeys.list', 'operator', (c) => c.apiKeys.list()],
  ['registries.setSchedule', 'operator', (c) => c.registries.setSchedule({ id: ids.registry, scheduleIntervalMs: 3_600_000 })],
  ['sensors.bindRegistry', 'operator', (c) => c.sensors.bindRegistry({ sensorId: ids.sensor, registryId: ids.registry })],
  ['jobs.scanNow', 'operator', (c) => c.jobs.scanNow({ registryId: ids.registry, imageRef: 'app:2' })],
  ['apiKeys.create', 'operator', (c) => c.apiKeys.create({ name: 'more' })],
  ['registries.create', 'operator', (c) => c.registries.create({ name: 'another', url: 'another.example' })],
  ['tokens.list', 'admin', (c) => c.tokens.list()],
  ['tokens.create', 'admin', (c) => c.tokens.create({ role: 'auditor', name: 'x' })],
];

const RANK: Record<Role, number> = { auditor: 0, operator: 1, admin: 2 };

describe('the API’s role checks', () => {
  it.each(procedures)('%s needs the %s role', async (_name, needs, call) => {
    for (const role of ['auditor', 'operator', 'admin'] as const) {
      expect([role, await codeOf(() => call(callerWith(tokens[role])))]).toEqual([role, RANK[role] >= RANK[needs] ? 'OK' : 'FORBIDDEN']);
    }
  });

  it('refuses callers without a valid token, and sensors’ keys for people’s procedures', async () => {
    expect(await codeOf(() => callerWith(undefined).sensors.list({}))).toBe('UNAUTHORIZED');
    expect(await codeOf(() => callerWith('not-a-token').fleet.summary())).toBe('UNAUTHORIZED');
    expect(await codeOf(() => callerWith(sensorKey).sensors.list({}))).toBe('UNAUTHORIZED');
    expect(await codeOf(() => callerWith(ADMIN).agent.heartbeat({ sensorId: ids.sensor }))).toBe('UNAUTHORIZED');
  });
});

describe('the API’s org walls', () => {
  it.each([
    ['sensors.get', (c: ReturnType<typeof callerWith>) => c.sensors.get({ id: ids.sensor })],
    ['sensors.delete', (c: ReturnType<typeof callerWith>) => c.sensors.delete({ id: ids.sensor })],
    ['sensors.bindRegistry', (c: ReturnType<typeof callerWith>) => c.sensors.bindRegistry({ sensorId: ids.sensor, registryId: ids.registry })],
    ['registries.get', (c: ReturnType<typeof callerWith>) => c.registries.get({ id: ids.registry })],
    ['registries.setSchedule', (c: ReturnType<typeof callerWith>) => c.registries.setSchedule({ id: ids.registry, scheduleIntervalMs: null })],
    ['registries.delete', (c: ReturnType<typeof callerWith>) => c.registries.delete({ id: ids.registry })],
    ['jobs.get', (c: ReturnType<typeof callerWith>) => c.jobs.get({ id: ids.job })],
    ['jobs.cancel', (c: ReturnType<typeof callerWith>) => c.jobs.cancel({ jobId: ids.job })],
    ['jobs.scanNow', (c: ReturnType<typeof callerWith>) => c.jobs.scanNow({ registryId: ids.registry, imageRef: 'x' })],
    ['apiKeys.rotate', (c: ReturnType<typeof callerWith>) => c.apiKeys.rotate({ id: ids.apiKey })],
    ['apiKeys.revoke', (c: ReturnType<typeof callerWith>) => c.apiKeys.revoke({ id: ids.apiKey })],
    ['tokens.revoke', (c: ReturnType<typeof callerWith>) => c.tokens.revoke({ id: ids.token })],
  ])('%s of another org’s record is not found', async (_name, call) => {
    expect(await codeOf(() => call(callerWith(otherAdmin)))).toBe('NOT_FOUND');
  });

  it('lists nothing of another org', async () => {
    const other = callerWith(otherAdmin);
    expect((await other.sensors.list({})).items).toEqual([]);
    expect(await other.registries.list()).toEqual([]);
    expect(await other.jobs.list({})).toEqual([]);
    expect(await other.apiKeys.list()).toEqual([]);
    expect((await other.audit.events({ limit: 100 })).events.every((e) => e.metadata['orgId'] !== 'default')).toBe(true);
    expect(await other.fleet.summary()).toMatchObject({ total: 0, online: 0, scanning: 0, offline: 0 });
  });
});
