import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCatalogValidation } from '@harborguard/eventstore';
import { EsdbEventStore } from '../../eventstore/src/esdb/index.js';
import { HarborGuard } from '../../server/src/app/harborguard.js';
import { createHttpServer, listen, type RunningServer } from '../../server/src/http/server.js';
import { verifyChain } from '../../server/src/core/chain-verify.js';
import { startEsdbStandIn, type EsdbStandIn } from '../support/esdb-standin/index.js';
import { ADMIN_TOKEN, OFFLINE_AFTER_MS, simulatedNow } from '../support/test-server.js';
import { TrpcHttp } from '../support/http-clients.js';
import { wireSensor, type SensorClient } from '../support/sensor-clients.js';

/** The service on EventStoreDB (the wire stand-in: sparse positions, its own append path), chains and anchors included. */
describe('hash chain and anchors on EventStoreDB', () => {
  let standIn: EsdbStandIn;
  let store: EsdbEventStore;
  let app: HarborGuard;
  let running: RunningServer;
  let admin: TrpcHttp;
  const clock = simulatedNow();
  let sensor: SensorClient;
  let ids: string[];

  beforeAll(async () => {
    standIn = await startEsdbStandIn();
    store = await EsdbEventStore.connect(standIn.connectionString);
    app = HarborGuard.create({
      store: withCatalogValidation(store),
      clock,
      offlineAfterMs: OFFLINE_AFTER_MS,
      heartbeatIntervalMs: 30_000,
      pollIntervalMs: 10_000,
      keyRotationGraceMs: 60_000,
      adminToken: ADMIN_TOKEN,
      log: () => {},
      auditAnchorIntervalMs: 60_000,
      // Last contacts are checkpointed far apart here, so heartbeats alone store nothing in this test.
      contactCheckpointMs: 24 * 60 * 60 * 1000,
    });
    await app.start();
    running = await listen(createHttpServer({ getApp: () => app, clock, log: () => {} }), 0, '127.0.0.1');
    admin = new TrpcHttp(running.url, ADMIN_TOKEN);
  }, 30_000);

  afterAll(async () => {
    await running.close();
    await app.stop();
    await store.close();
    await standIn.stop();
  });

  it('writes anchors on its timer and verifies intact, with concurrent appends to different streams', async () => {
    sensor = wireSensor(running.url, (await admin.do<{ key: string }>('mutation', 'apiKeys.create', { name: 'fleet' })).key);
    // Many sensors register at once: appends to different streams interleave in the log.
    ids = await Promise.all(Array.from({ length: 20 }, (_, i) => sensor.register({ name: `s${i}`, hostname: `h${i}` })));
    for (let round = 0; round < 3; round++) {
      clock.increment(OFFLINE_AFTER_MS);
      await app.settled();
      await Promise.all(ids.map((id) => sensor.heartbeat(id)));
      await app.settled();
    }
    const report = await admin.do('query', 'audit.verify');
    expect(report).toMatchObject({ intact: true, anchoredUpTo: expect.any(String) });
    expect(report.firstBreak).toBeUndefined();
    expect(await verifyChain(store)).toEqual(report);
    const anchors = await store.readAll({ maxCount: 10_000, filter: { eventTypes: ['AuditAnchor'] } });
    expect(anchors.length).toBeGreaterThanOrEqual(3);
  });

  it('writes no anchor when only heartbeats came in between contact checkpoints: they append nothing', async () => {
    await app.anchors.anchorNow();
    const head = async () => (await store.readAll({ direction: 'backwards', fromPosition: 'end', maxCount: 1 }))[0]!.position;
    const before = await head();
    for (let i = 0; i < 5; i++) {
      clock.increment(10_000);
      await Promise.all(ids.map((id) => sensor.heartbeat(id)));
    }
    await app.settled();
    expect(await app.anchors.anchorNow()).toBe(false);
    expect(await head()).toBe(before);
  });
});
