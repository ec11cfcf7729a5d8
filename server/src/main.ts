import { join } from 'node:path';
import type { Logger } from 'pino';
import type { EventStore } from '@harborguard/eventstore';
import { ConfigError, loadConfig, type Config } from './config/config.js';
import { HarborGuard } from './app/harborguard.js';
import { createHttpServer, listen, type RunningServer } from './http/server.js';
import type { ReadinessCheck } from './http/health.js';
import { openEventStore } from './store/open-event-store.js';
import { serveDashboard } from './http/static.js';
import { SqliteReadModelStore } from './projections/read-model-store.js';
import { createLogger, lineLog, requestLogger } from './observability/logger.js';
import { ServiceMetrics } from './observability/metrics.js';
import { loadSecretKey } from './notifications/secret-box.js';
import { FileCheckpoint } from './notifications/checkpoint.js';
import { keepHeapNearLiveSet } from './runtime/heap-growth.js';

/** A signal's shutdown ends within this time, whatever is still running. */
const SHUTDOWN_DEADLINE_MS = 10_000;
/** How long requests in flight get to finish before their connections are cut. */
const DRAIN_GRACE_MS = 3_000;

/** Set once configuration is read; start-up failures before that go to standard error. */
let startedLogger: Logger | undefined;

/** What the process runs, filled in as start-up gets there. */
interface Service {
  config: Config;
  logger: Logger;
  log: (line: string) => void;
  readModelStore: SqliteReadModelStore;
  starting: AbortController;
  store: EventStore | null;
  app: HarborGuard | null;
}

/**
 * Starts the service: the HTTP server first (health answers at once), then the event store
 * and the rebuild of every actor; the API answers 503 until that is done.
 */
async function main(): Promise<void> {
  const config = readConfig();
  const logger = createLogger({ level: config.logLevel, secrets: [config.adminToken, config.metricsToken] });
  startedLogger = logger;
  const log = lineLog(logger);
  const service: Service = {
    config,
    logger,
    log,
    readModelStore: new SqliteReadModelStore(join(config.dataDir, 'readmodels.sqlite'), log),
    starting: new AbortController(),
    store: null,
    app: null,
  };
  const metrics = new ServiceMetrics(() => service.app, { processMetrics: true });
  const server = createHttpServer({
    getApp: () => service.app,
    checkReady: storeReachable(() => service.store),
    serveStatic: serveDashboard(),
    log,
    allowedOrigins: config.allowedOrigins,
    metricsToken: config.metricsToken,
    maxUploadBytes: config.maxUploadBytes,
    publicUrl: config.publicUrl,
    metrics,
    requestLog: requestLogger(logger),
  });
  const running = await listen(server, config.port, config.host);
  log(`HarborGuard Sensor Health listening on ${running.url} (log level ${config.logLevel})`);
  stopOnSignals(service, running);
  const app = await startApp(service);
  metrics.watch(app);
  await app.start();
  keepHeapNearLiveSet();
  service.app = app;
  log(`ready: offline after ${config.offlineAfterMs} ms without contact`);
}

/** The configuration, or exit code 2 with a message naming each wrong variable. */
function readConfig(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
}

/** Whether the store answers a ping, beside the service's own `store` check (whether it takes writes, and since when not). */
function storeReachable(store: () => EventStore | null): ReadinessCheck {
  return async () => {
    const current = store();
    if (!current) return { ready: false, checks: { storeConnection: 'connecting' } };
    try {
      await current.ping();
      return { ready: true, checks: { storeConnection: 'reachable' } };
    } catch (error) {
      return { ready: false, checks: { storeConnection: `unreachable: ${(error as Error).message}` } };
    }
  };
}

/** Opens the event store (waiting for it with back-off) and wires the service on it. */
async function startApp(service: Service): Promise<HarborGuard> {
  const { config, log } = service;
  const opened = await openEventStore(config, log, service.starting.signal);
  service.store = opened.store;
  log(`event store: ${opened.description}`);
  return HarborGuard.create({
    store: opened.store,
    offlineAfterMs: config.offlineAfterMs,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    pollIntervalMs: config.pollIntervalMs,
    keyRotationGraceMs: config.keyRotationGraceMs,
    maxSensorsPerOrg: config.maxSensorsPerOrg,
    sessionIdleMs: config.sessionIdleMs,
    sessionMaxMs: config.sessionMaxMs,
    adminToken: config.adminToken,
    readModelStore: service.readModelStore,
    notifications: {
      secretKey: loadSecretKey(config.secretKey, join(config.dataDir, 'secret.key')),
      retryScheduleMs: config.notifyRetryMs,
      stormThreshold: config.notifyStormThreshold,
      stormWindowMs: config.notifyStormWindowMs,
      publicUrl: (config.publicUrl ?? `http://localhost:${config.port}`).replace(/\/$/, ''),
      checkpoint: new FileCheckpoint(join(config.dataDir, 'notifier.checkpoint')),
    },
    log,
    contactCheckpointMs: config.contactCheckpointMs,
    jobTimeoutMs: config.jobTimeoutMs,
    auditAnchorIntervalMs: config.auditAnchorIntervalMs,
    storeBacklogLimit: config.storeBacklogLimit,
  });
}

/**
 * On SIGTERM or SIGINT: stops accepting, lets requests in flight finish, stops the actors and
 * waits for every write they started, stores the read models with their checkpoint, closes the
 * store. A start right after finds everything acknowledged and gives each sensor a full threshold.
 */
function stopOnSignals(service: Service, running: RunningServer): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const { logger, log } = service;
    log(`${signal}: shutting down`);
    const deadline = setTimeout(() => {
      logger.error(`shutdown did not finish within ${SHUTDOWN_DEADLINE_MS} ms; exiting anyway`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    service.starting.abort();
    try {
      if (!(await running.drain(DRAIN_GRACE_MS))) logger.warn(`requests still running after ${DRAIN_GRACE_MS} ms were cut`);
      await service.app?.stop();
      // The read-model writer stores its last rows before the process ends.
      await service.readModelStore.closeAsync();
      await service.store?.close();
    } catch (error) {
      logger.error({ err: error }, `shutdown failed: ${(error as Error).message}`);
      process.exit(1);
    }
    clearTimeout(deadline);
    log('stopped: requests answered, writes stored, read models and checkpoint saved, event store closed');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  const message = `HarborGuard failed to start: ${error instanceof Error ? error.message : String(error)}`;
  if (startedLogger) startedLogger.fatal(message);
  else console.error(message);
  process.exit(1);
});
