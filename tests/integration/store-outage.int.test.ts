import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SqliteEventStore, type EventStore, type RecordedEvent } from '@harborguard/eventstore';
import { RefusingStore } from '@harborguard/eventstore/testing';
import { EsdbEventStore } from '../../eventstore/src/esdb/index.js';
import { translateSqliteError } from '../../eventstore/src/sqlite/sqlite-errors.js';
import { startEsdbStandIn } from '../support/esdb-standin/index.js';
import { ADMIN_TOKEN, OFFLINE_AFTER_MS, TestServer } from '../support/test-server.js';
import { TrpcHttp, wire, type HttpResult } from '../support/http-clients.js';
import { trpcSensor, wireSensor, type SensorClient } from '../support/sensor-clients.js';

/**
 * The event store goes away mid-run while sensors keep calling, and comes back: requests that
 * need an append answer 503 with Retry-After, live sensors keep being answered, timers that fire
 * meanwhile are stored afterwards with their own times, readiness follows, and afterwards every
 * acknowledged event is in the store once, in order. Time is the test's simulated clock; real
 * waits are polls for a condition with a generous deadline.
 */
const WAIT = { timeout: 60_000, interval: 20 };
const FAST = { initialDelayMs: 10, maxDelayMs: 50 };

interface OutageTarget {
  name: string;
  open(): Promise<{ store: EventStore; goAway(): Promise<void>; comeBack(): Promise<void>; cleanUp(): Promise<void> }>;
}

const targets: OutageTarget[] = [
  {
    name: 'EventStoreDB (wire stand-in) stopped and started on its port',
    async open() {
      const standIn = await startEsdbStandIn();
      const store = await EsdbEventStore.connect(standIn.connectionString, { retry: FAST, appendRetry: { ...FAST, maxAttempts: 2 }, pingTimeoutMs: 1_000 });
      return { store, goAway: () => standIn.halt(), comeBack: () => standIn.restart(), cleanUp: () => standIn.stop() };
    },
  },
  {
    name: 'SQLite with a full disk',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'hg-full-'));
      const file = join(dir, 'events.sqlite');
      const store = new RefusingStore(SqliteEventStore.open(file));
      // What the adapter makes of the driver's error when the disk is full.
      const full = () => translateSqliteError(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }), file, 'appending');
      return {
        store,
        goAway: async () => store.refuseWrites(full as never),
        comeBack: async () => store.takeWrites(),
        cleanUp: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
];

interface Registration {
  transport: 'wire' | 'tRPC';
  result: HttpResult<any>;
  sensorId: string | null;
}

/** Sensors calling all along: heartbeats of live sensors, and new sensors registering, over both protocols. */
class SensorLoad {
  readonly heartbeats: number[] = [];
  readonly registrations: Array<{ during: boolean } & Registration> = [];
  outage = false;
  private stopped = false;
  private running: Promise<void> | null = null;

  constructor(
    private readonly clients: SensorClient[],
    private readonly live: string[],
    private readonly register: (n: number) => Promise<Registration>,
  ) {}

  start(): void {
    this.running = (async () => {
      for (let round = 0; !this.stopped; round++) {
        for (const [i, id] of this.live.entries()) this.heartbeats.push(await this.clients[i % this.clients.length]!.heartbeat(id));
        const during = this.outage;
        this.registrations.push({ during, ...(await this.register(round)) });
      }
    })();
  }

  /** Resolves after `rounds` more rounds of calls. */
  async rounds(rounds: number): Promise<void> {
    const target = this.registrations.length + rounds;
    await vi.waitFor(() => expect(this.registrations.length).toBeGreaterThanOrEqual(target), WAIT);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }
}

async function readiness(url: string) {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, body: (await response.json()) as { ready: boolean; checks: Record<string, string> } };
}

const metric = async (url: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await (await fetch(`${url}/metrics`)).text())?.[1]);

/** Every event of the store, checked to be there once each, each stream gapless and in order. */
async function storedOnceInOrder(store: EventStore): Promise<RecordedEvent[]> {
  const all = await store.readAll({ maxCount: 100_000 });
  expect(new Set(all.map((event) => event.id)).size).toBe(all.length);
  const next = new Map<string, bigint>();
  for (const event of all) {
    expect(event.revision).toBe(next.get(event.streamName) ?? 0n);
    next.set(event.streamName, event.revision + 1n);
  }
  return all;
}

for (const target of targets) {
  describe(`the event store going away and coming back: ${target.name}`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    it('refuses appends with 503, answers live sensors, stores what was decided meanwhile with its own times, and recovers without a restart', async () => {
      const { store, goAway, comeBack, cleanUp } = await target.open();
      cleanups.push(cleanUp);
      // Fewer than the sensors that go offline during the outage: past it readiness says so.
      const server = await TestServer.start({ store, storeBacklogLimit: 3 });
      cleanups.push(() => server.destroy());
      const admin = new TrpcHttp(server.url, ADMIN_TOKEN);
      const key: string = (await admin.do('mutation', 'apiKeys.create', { name: 'outage' })).key;
      const clients = [wireSensor(server.url, key), trpcSensor(server.url, key)];
      const t0 = server.clock.now();
      const silent = [];
      const live = [];
      for (let i = 0; i < 4; i++) silent.push(await clients[i % 2]!.register({ name: `silent-${i}`, hostname: 'quiet-host' }));
      for (let i = 0; i < 6; i++) live.push(await clients[i % 2]!.register({ name: `live-${i}`, hostname: 'busy-host' }));
      const agent = new TrpcHttp(server.url, key);
      const load = new SensorLoad(clients, live, async (n) => {
        const details = { name: `new-${n}`, hostname: 'new-host', version: '1.0.0', os: 'linux', arch: 'amd64', scannerVersions: { trivy: '0.58.1' }, capabilities: ['scan'] };
        if (n % 2 === 0) {
          const result = await wire<{ agentId?: string }>(server.url, key, 'POST', '/api/agent/register', { ...details, s3Configured: false });
          return { transport: 'wire', result, sensorId: result.status === 200 ? result.body.agentId! : null };
        }
        const result = await agent.mutation<{ sensorId: string }>('agent.register', details);
        return { transport: 'tRPC', result, sensorId: result.status === 200 ? result.body.result!.data.sensorId : null };
      });
      load.start();
      cleanups.push(() => load.stop());
      await load.rounds(3);

      await goAway();
      load.outage = true;
      // Should an assertion fail during the outage, stopping the service must not wait for the store.
      cleanups.push(async () => {
        await comeBack();
        server.app.writer.availability.answered();
      });
      // The next registration's append finds the store away.
      await vi.waitFor(async () => expect((await readiness(server.url)).body.ready).toBe(false), WAIT);
      const during = await readiness(server.url);
      expect(during.status).toBe(503);
      expect(during.body.checks['store']).toMatch(/^unavailable since \d{4}-\d\d-\d\dT[\d:.]+Z: .+/);
      expect(during.body.checks['actors']).toMatch(/^rebuilt/);
      expect(await metric(server.url, 'harborguard_store_available')).toBe(0);
      await load.rounds(3);

      // Half a threshold on, after the live sensors called again, the silent ones reach their deadline.
      server.clock.increment(OFFLINE_AFTER_MS / 2);
      await load.rounds(2);
      server.clock.increment(OFFLINE_AFTER_MS / 2);
      for (const id of silent) expect(server.app.supervisor.status(id)).toBe('offline');
      await vi.waitFor(() => expect(server.app.writer.availability.backlog).toBeGreaterThanOrEqual(silent.length), WAIT);
      expect((await readiness(server.url)).body.checks['writes']).toMatch(/^\d+ events wait for the event store, over the limit of 3; none is dropped$/);
      expect(await metric(server.url, 'harborguard_store_backlog_over_limit')).toBe(1);
      // An operator's change needs an append too.
      const change = await admin.mutation('registries.create', { name: 'harbor', url: 'harbor.example' });
      expect(change.status).toBe(503);
      expect(Number(change.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(change.body.error?.message).toMatch(/event store is unavailable/);
      // A sensor coming back online is a transition to store: refused until the store is back.
      const back = await wire(server.url, key, 'POST', '/api/agent/heartbeat', { agentId: silent[0], status: 'idle', activeScans: 0, uptimeSeconds: 60 });
      expect(back.status).toBe(503);
      expect(Number(back.retryAfter)).toBeGreaterThanOrEqual(1);
      expect((back.body as { error: string }).error).toMatch(/event store is unavailable/);
      await load.rounds(2);

      await comeBack();
      load.outage = false;
      // The probe runs on the service's clock: move it on until the probe finds the store back and readiness returns.
      await vi.waitFor(async () => {
        server.clock.increment(1_000);
        expect((await readiness(server.url)).body).toMatchObject({ ready: true, checks: { store: 'available' } });
      }, WAIT);
      await load.rounds(3);
      await load.stop();
      await server.settled();

      const answered = load.registrations.filter((r) => r.during);
      // Registrations alternate between the wire route and tRPC: both were refused.
      expect(new Set(answered.filter((r) => r.result.status === 503).map((r) => r.transport))).toEqual(new Set(['wire', 'tRPC']));
      for (const { result } of answered.filter((r) => r.result.status !== 200)) {
        expect(result.status).toBe(503);
        expect(Number(result.retryAfter)).toBeGreaterThanOrEqual(1);
      }
      expect(new Set(load.heartbeats)).toEqual(new Set([200]));
      expect(await metric(server.url, 'harborguard_store_available')).toBe(1);
      expect(await metric(server.url, 'harborguard_store_backlog_over_limit')).toBe(0);

      const all = await storedOnceInOrder(store);
      const deadline = new Date(t0 + OFFLINE_AFTER_MS).toISOString();
      for (const id of silent) {
        const offline = all.filter((e) => e.streamName === `sensor-${id}` && e.type === 'SensorWentOffline');
        expect(offline).toHaveLength(1);
        expect(offline[0]).toMatchObject({ data: { at: deadline }, metadata: { occurredAt: deadline } });
      }
      for (const { sensorId } of load.registrations.filter((r) => r.sensorId !== null)) {
        expect(all.filter((e) => e.streamName === `sensor-${sensorId}` && e.type === 'SensorRegistered')).toHaveLength(1);
      }
      expect(await clients[0]!.heartbeat(silent[0]!)).toBe(200);
      expect(server.app.supervisor.status(silent[0]!)).toBe('online');
    });

    it('stops without waiting for a store that is away, and says what it could not store', async () => {
      const { store, goAway, comeBack, cleanUp } = await target.open();
      cleanups.push(cleanUp);
      const logged: string[] = [];
      const server = await TestServer.start({ store, log: (line) => logged.push(line) });
      cleanups.push(comeBack);
      const admin = new TrpcHttp(server.url, ADMIN_TOKEN);
      const key: string = (await admin.do('mutation', 'apiKeys.create', { name: 'outage' })).key;
      const sensorId = await wireSensor(server.url, key).register({ name: 'silent', hostname: 'quiet-host' });
      await server.settled();

      await goAway();
      // The registration's own append finds the store away, then the sensor's timer fires: a kept transition.
      const refused = await admin.mutation('registries.create', { name: 'harbor', url: 'harbor.example' });
      expect(refused.status).toBe(503);
      server.clock.increment(OFFLINE_AFTER_MS);
      expect(server.app.supervisor.status(sensorId)).toBe('offline');
      await vi.waitFor(() => expect(server.app.writer.availability.backlog).toBeGreaterThanOrEqual(1), WAIT);

      // Resolves although the store never comes back during it (the test's own timeout is the bound).
      await server.destroy();
      expect(logged.some((line) => /stopping while the event store is unavailable: \d+ kept events are not stored/.test(line))).toBe(true);
    });
  });
}
