import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedClock } from 'xstate';
import { SqliteEventStore, withCatalogValidation, type EventStore, type RecordedEvent } from '@harborguard/eventstore';
import { HarborGuard, type HarborGuardOptions } from '../../server/src/app/harborguard.js';
import { createHttpServer, listen, type HttpServerOptions, type RunningServer } from '../../server/src/http/server.js';

export const ADMIN_TOKEN = 'integration-admin-token-0123456789';
export const OFFLINE_AFTER_MS = 120_000;

export interface TestServerOptions {
  /** Reuse a data directory (a restart); a fresh temp dir otherwise. */
  dataDir?: string;
  clock?: SimulatedClock;
  offlineAfterMs?: number;
  keyRotationGraceMs?: number;
  maxSensorsPerOrg?: number;
  sessionIdleMs?: number;
  sessionMaxMs?: number;
  /** The configured bootstrap admin token; ADMIN_TOKEN by default. */
  adminToken?: string;
  /** Where the service's log lines go; dropped by default. */
  log?: (line: string) => void;
  /** HTTP edge settings (origins, metrics token, limits); the app, clock and log are the test server's. */
  http?: Omit<HttpServerOptions, 'getApp' | 'clock' | 'log'>;
  /** How often last contacts are checkpointed (the service's default otherwise). */
  contactCheckpointMs?: number;
  /** A job running longer than this fails "timed out" (the service's default otherwise). */
  jobTimeoutMs?: number;
  /** Notification settings (secret key, retry schedule, storm thresholds). */
  notifications?: HarborGuardOptions['notifications'];
  /** The event store to serve from (closed on stop) instead of an embedded SQLite file in the data directory. */
  store?: EventStore;
  /** Events kept for a store that is away before readiness reports the backlog (the service's default otherwise). */
  storeBacklogLimit?: number;
}

/**
 * The real service over real HTTP on an ephemeral port, with the embedded SQLite store and
 * a simulated clock so liveness can be driven without waiting.
 */
export class TestServer {
  private constructor(
    readonly url: string,
    readonly app: HarborGuard,
    readonly clock: SimulatedClock,
    readonly dataDir: string,
    readonly store: EventStore,
    private readonly running: RunningServer,
    readonly shownAdminTokens: string[],
    /** What the HTTP server logged: failures it could not answer. */
    readonly httpLog: string[],
  ) {}

  static async start(options: TestServerOptions = {}): Promise<TestServer> {
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'hg-it-'));
    const clock = options.clock ?? simulatedNow();
    const store = withCatalogValidation(options.store ?? SqliteEventStore.open(join(dataDir, 'events.sqlite')));
    const shown: string[] = [];
    const app = HarborGuard.create({
      store,
      clock,
      offlineAfterMs: options.offlineAfterMs ?? OFFLINE_AFTER_MS,
      heartbeatIntervalMs: 30_000,
      pollIntervalMs: 10_000,
      keyRotationGraceMs: options.keyRotationGraceMs ?? 24 * 60 * 60 * 1000,
      adminToken: options.adminToken ?? ADMIN_TOKEN,
      ...(options.maxSensorsPerOrg === undefined ? {} : { maxSensorsPerOrg: options.maxSensorsPerOrg }),
      ...(options.sessionIdleMs === undefined ? {} : { sessionIdleMs: options.sessionIdleMs }),
      ...(options.sessionMaxMs === undefined ? {} : { sessionMaxMs: options.sessionMaxMs }),
      log: options.log ?? (() => {}),
      showAdminToken: (token) => shown.push(token),
      ...(options.contactCheckpointMs === undefined ? {} : { contactCheckpointMs: options.contactCheckpointMs }),
      ...(options.jobTimeoutMs === undefined ? {} : { jobTimeoutMs: options.jobTimeoutMs }),
      ...(options.notifications ? { notifications: options.notifications } : {}),
      ...(options.storeBacklogLimit === undefined ? {} : { storeBacklogLimit: options.storeBacklogLimit }),
    });
    await app.start();
    const httpLog: string[] = [];
    const server = createHttpServer({ ...options.http, getApp: () => app, clock, log: (line) => httpLog.push(line) });
    const running = await listen(server, 0, '127.0.0.1');
    return new TestServer(running.url, app, clock, dataDir, store, running, shown, httpLog);
  }

  /** Moves simulated time forward, firing due timers, then waits for what they caused to be stored. */
  async advance(ms: number): Promise<void> {
    this.clock.increment(ms);
    await this.app.settled();
  }

  async settled(): Promise<void> {
    await this.app.settled();
  }

  /** Every event of one stream, oldest first. */
  async stream(name: string): Promise<RecordedEvent[]> {
    return this.store.readStream(name);
  }

  /** Resolves once the server has seen the next connection it accepts close. */
  nextConnectionClosed(): Promise<void> {
    return new Promise((resolve) => this.running.server.once('connection', (socket) => socket.once('close', () => setImmediate(resolve))));
  }

  async eventTypes(stream: string): Promise<string[]> {
    return (await this.stream(stream)).map((e) => e.type);
  }

  /** Stops serving and closes the store; the data directory stays for a restart. */
  async stop(): Promise<void> {
    await this.running.close();
    await this.app.stop();
    await this.store.close();
  }

  /**
   * Like `kill -9`: stops serving and closes the store with no shutdown work (nothing flushed).
   * Restart on another clock: this one's timers stay armed on its own.
   */
  async crash(): Promise<void> {
    await this.running.close();
    await this.store.close();
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export function simulatedNow(): SimulatedClock {
  const clock = new SimulatedClock();
  clock.set(Date.parse('2026-11-27T10:00:00.000Z'));
  return clock;
}
