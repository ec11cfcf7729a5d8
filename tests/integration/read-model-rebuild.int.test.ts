import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { InMemoryEventLog, InMemoryEventStore, withCatalogValidation } from '@harborguard/eventstore';
import { HarborGuard } from '../../server/src/app/harborguard.js';
import { MemoryReadModelStore } from '../../server/src/projections/read-model-store.js';
import { modelEventOf } from '../../server/src/domain/model-event.js';
import { ReadModels } from '../../server/src/projections/read-models.js';
import { StreamStates } from '../../server/src/core/stream-states.js';
import type { SensorPrincipal, UserPrincipal } from '../../server/src/app/principal.js';

const OFFLINE_AFTER_MS = 120_000;

/** A small deterministic random source, so a failing history can be replayed. */
function rng(seed: number) {
  let state = seed;
  const next = () => ((state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  return { next, pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!, chance: (p: number) => next() < p };
}

const byId = <T extends { id: string }>(rows: Iterable<T>) => [...rows].sort((a, b) => a.id.localeCompare(b.id));

/** Everything each projection shows through its public reads. */
function snapshot(models: ReadModels, orgIds: string[]) {
  const sortById = <T extends { id: string }>(rows: Iterable<T>) => [...rows].sort((a, b) => a.id.localeCompare(b.id));
  const { credentials, registries, sensors, counts, jobs } = models;
  return {
    position: models.position,
    credentials: {
      orgs: sortById(credentials.orgs.values()),
      tokens: sortById(credentials.tokens.values()),
      apiKeys: sortById(credentials.apiKeys.values()),
      tokenHashes: [...credentials.tokenIdByHash.entries()].sort(),
      apiKeyHashes: [...credentials.apiKeyIdByHash.entries()].sort(),
    },
    registries: sortById(registries.registries.values()),
    sensorRows: {
      rows: sortById(sensors.sensors.values()),
      order: orgIds.map((orgId) => [...sensors.inOrder(orgId).ids]),
      bound: sortById(registries.registries.values()).map((r) => [r.id, sensors.boundSensorIds(r.id)]),
    },
    counts: orgIds.map((orgId) => counts.summary(orgId)),
    jobs: {
      // In insertion order: the job list shows the newest first.
      rows: [...jobs.jobs.values()],
      pending: [...jobs.pendingJobs.entries()].sort(),
      histories: sortById(sensors.sensors.values()).map((s) => [s.id, [...jobs.jobHistory(s.id)]]),
    },
  };
}

function boot(log: InMemoryEventLog, clock: SimulatedClock, readModelStore: MemoryReadModelStore) {
  return HarborGuard.create({
    store: withCatalogValidation(new InMemoryEventStore(log)),
    clock,
    offlineAfterMs: OFFLINE_AFTER_MS,
    heartbeatIntervalMs: 30_000,
    pollIntervalMs: 10_000,
    keyRotationGraceMs: 60_000,
    adminToken: 'rebuild-test-admin-token',
    readModelStore,
    log: () => {},
  });
}

describe('read models', () => {
  it('rebuilt from an empty state by replaying the whole log, equal the live ones after a long random history with restarts', async () => {
    const random = rng(20261128);
    const log = new InMemoryEventLog();
    const clock = new SimulatedClock();
    clock.set(Date.parse('2026-11-01T00:00:00Z'));
    const stored = new MemoryReadModelStore();
    let app = boot(log, clock, stored);
    await app.start();

    const admin = app.access.authenticateUser('Bearer rebuild-test-admin-token');
    const orgs: UserPrincipal[] = [admin];
    const second = await app.access.createOrg(admin, 'second');
    const secondToken = await app.access.createToken(admin, { role: 'admin', name: 'second', orgId: second.id });
    orgs.push(app.access.authenticateUser(`Bearer ${secondToken.token}`));

    const keys: { user: UserPrincipal; id: string; principal: SensorPrincipal }[] = [];
    const registries: { user: UserPrincipal; id: string }[] = [];
    const sensors: { principal: SensorPrincipal; user: UserPrincipal; id: string }[] = [];
    const swallow = async (work: () => Promise<unknown>) => {
      try {
        await work();
      } catch (error) {
        // Conflicts, not-founds and refused reports are part of a random history.
        if (!(error instanceof Error) || error.name !== 'AppError') throw error;
      }
    };

    for (let step = 0; step < 2500; step++) {
      const user = random.pick(orgs);
      const roll = random.next();
      if (keys.length < 4 || roll < 0.03) {
        const { id, key } = await app.access.createApiKey(user, `key-${step}`);
        keys.push({ user, id, principal: app.access.authenticateSensor(`Bearer ${key}`) });
      } else if (registries.length < 3 || roll < 0.06) {
        const { id } = await app.registries.create(user, { name: `registry-${step}`, url: `harbor.example/${step}` });
        registries.push({ user, id });
      } else if (sensors.length < 5 || roll < 0.15) {
        const key = random.pick(keys);
        const { sensorId } = await app.sensors.register(key.principal, {
          name: `sensor-${Math.floor(random.next() * 40)}`,
          hostname: `host-${Math.floor(random.next() * 3)}`,
          version: random.pick(['0.1.0', '0.2.0']),
          os: 'linux',
          arch: 'amd64',
          capabilities: random.pick([['scan'], ['scan', 'patch']]),
          scannerVersions: { trivy: '0.58.1' },
        });
        sensors.push({ principal: key.principal, user: key.user, id: sensorId });
      } else if (roll < 0.45) {
        const sensor = random.pick(sensors);
        await swallow(() => app.sensors.heartbeat(sensor.principal, sensor.id, random.chance(0.1) ? clock.now() + 90_000 : undefined));
      } else if (roll < 0.6) {
        // Sensors bound to a registry are the ones that can be handed a job.
        const bound = sensors.filter((s) => app.readModel.sensors.live(s.id)?.registryId);
        const sensor = random.pick(bound.length ? bound : sensors);
        await swallow(() => app.sensors.poll(sensor.principal, sensor.id));
      } else if (roll < 0.7) {
        const scanning = sensors.filter((s) => app.readModel.sensors.live(s.id)?.currentJobId);
        const sensor = random.pick(scanning.length ? scanning : sensors);
        const jobId = app.readModel.sensors.live(sensor.id)?.currentJobId;
        if (jobId) await swallow(() => app.sensors.report(sensor.principal, { jobId, sensorId: sensor.id, status: random.pick(['completed', 'failed', 'cancelled'] as const), error: 'boom' }));
      } else if (roll < 0.76) {
        const registry = random.pick(registries);
        await swallow(() => app.jobs.scanNow(registry.user, { registryId: registry.id, imageRef: `app:${step}`, type: random.pick(['scan', 'patch'] as const) }));
      } else if (roll < 0.82) {
        const sensor = random.pick(sensors);
        const registry = random.pick(registries);
        await swallow(() => app.sensors.bindRegistry(sensor.user, sensor.id, registry.id));
      } else if (roll < 0.84) {
        const job = random.pick([...app.readModel.jobs.jobs.values()]);
        if (job) await swallow(() => app.jobs.cancel(orgs.find((o) => o.orgId === job.orgId)!, job.id));
      } else if (roll < 0.85) {
        const sensor = random.pick(sensors);
        await swallow(() => app.sensors.delete(sensor.user, sensor.id));
      } else if (roll < 0.855) {
        const registry = random.pick(registries);
        await swallow(() => app.registries.delete(registry.user, registry.id));
      } else if (roll < 0.865) {
        const key = random.pick(keys);
        await swallow(() => (random.chance(0.5) ? app.access.rotateApiKey(key.user, key.id) : app.access.revokeApiKey(key.user, key.id)));
      } else if (roll < 0.87) {
        // Restart: the read models resume from their stored rows and checkpoint.
        await app.settled();
        await app.stop();
        app = boot(log, clock, stored);
        await app.start();
      } else {
        // Mostly short steps, sometimes long enough for silent sensors to go offline.
        clock.increment(Math.floor(random.next() * (random.chance(0.2) ? 1.5 : 0.2) * OFFLINE_AFTER_MS));
      }
      await app.settled();
    }
    await app.settled();

    const eventCount = (await app.options.store.readAll({ maxCount: 1_000_000 })).length;
    expect(eventCount).toBeGreaterThan(2000);
    const types = new Set((await app.options.store.readAll({ maxCount: 1_000_000 })).map((e) => e.type));
    for (const type of ['SensorWentOffline', 'SensorCameOnline', 'SensorStartedScanning', 'SensorFinishedScanning', 'JobCompleted', 'JobFailed', 'RegistryStatusChanged', 'SensorDeleted', 'ApiKeyRotated']) {
      expect(types.has(type), `history has ${type}`).toBe(true);
    }

    const rebuilt = new ReadModels();
    for (const event of await app.options.store.readAll({ maxCount: 1_000_000 })) rebuilt.apply(modelEventOf(event));
    const orgIds = orgs.map((o) => o.orgId);
    const live = snapshot(app.readModel, orgIds);
    expect(live.sensorRows.rows.length).toBeGreaterThan(5);
    expect(live.jobs.rows.some((job) => job.status === 'completed')).toBe(true);
    expect(snapshot(rebuilt, orgIds)).toEqual(live);
    // The write model, evolved as appends are stored, equals the deciders' fold of the log, and
    // agrees with the read model on every sensor's and job's status.
    const rebuiltStates = new StreamStates();
    for (const event of await app.options.store.readAll({ maxCount: 1_000_000 })) rebuiltStates.apply(modelEventOf(event));
    for (const kind of ['sensor', 'registry', 'job', 'apikey', 'token', 'org'] as const) {
      expect(byId(rebuiltStates.all(kind)), `${kind} states`).toEqual(byId(app.states.all(kind)));
    }
    const statusOf = (rows: Iterable<{ id: string; status: string; deleted?: boolean }>) => byId([...rows].map(({ id, status, deleted }) => ({ id, status, deleted })));
    expect(statusOf([...app.states.all('sensor')].filter((s) => !s.deleted))).toEqual(statusOf([...app.readModel.sensors.sensors.values()].filter((s) => !s.deleted)));
    expect(statusOf(app.states.all('job'))).toEqual(statusOf(app.readModel.jobs.jobs.values()));

    // And the rows stored with the checkpoint load back into the same models.
    app.projector.flush();
    const reloaded = new ReadModels();
    const { records, position } = stored.load();
    reloaded.hydrate(records, position);
    expect(snapshot(reloaded, orgIds)).toEqual(snapshot(app.readModel, orgIds));
    await app.stop();
  }, 120_000);
});
