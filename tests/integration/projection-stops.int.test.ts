import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { EsdbEventStore } from '../../eventstore/src/esdb/index.js';
import { HarborGuard } from '../../server/src/app/harborguard.js';
import { createHttpServer, listen, type RunningServer } from '../../server/src/http/server.js';
import { MemoryReadModelStore } from '../../server/src/projections/read-model-store.js';
import { startEsdbStandIn, type EsdbStandIn } from '../support/esdb-standin/index.js';

/**
 * Read models whose stored checkpoint the store refuses (a position where no record starts) cannot
 * catch up by retrying: the projection stops, says why on /readyz, and does not resubscribe forever.
 */
describe('a projection that cannot follow the log', () => {
  let standIn: EsdbStandIn;
  let store: EsdbEventStore;
  let app: HarborGuard;
  let http: RunningServer;
  afterEach(async () => {
    await http?.close();
    await app?.stop();
    await store?.close();
    await standIn?.stop();
  });

  it('stops, reports the reason as not ready, and logs it once', async () => {
    standIn = await startEsdbStandIn();
    store = await EsdbEventStore.connect(standIn.connectionString, { retry: { initialDelayMs: 5, maxDelayMs: 20 } });
    const written = await store.appendToStream('org-x', [{ type: 'OrgCreated', data: { orgId: 'x', name: 'x' }, metadata: { orgId: 'x', occurredAt: new Date().toISOString(), actor: { kind: 'system', id: 't' } } }], { expectedRevision: 'no_stream' });
    const readModels = new MemoryReadModelStore();
    // A checkpoint one byte into the record: no record starts there.
    readModels.save([], written.position + 1n);
    const lines: string[] = [];
    const clock = new SimulatedClock();
    clock.set(Date.now());
    app = HarborGuard.create({
      store,
      clock,
      offlineAfterMs: 120_000,
      heartbeatIntervalMs: 30_000,
      pollIntervalMs: 10_000,
      keyRotationGraceMs: 1_000,
      adminToken: 'projection-stops-admin-token',
      readModelStore: readModels,
      log: (line) => lines.push(line),
    });
    await app.start();
    http = await listen(createHttpServer({ getApp: () => app, log: () => {} }), 0, '127.0.0.1');
    const readiness = (await (await fetch(`${http.url}/readyz`)).json()) as { ready: boolean; checks: Record<string, string> };
    expect(readiness.ready).toBe(false);
    expect(readiness.checks.projections).toMatch(/^stopped: /);
    expect(lines.filter((line) => line.startsWith('projection subscription stopped'))).toHaveLength(1);
    expect(lines.some((line) => line.includes('resubscribing'))).toBe(false);
  });
});
