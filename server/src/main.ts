import { ConfigError, loadConfig, type Config } from './config/config.js';
import { HarborGuard } from './app/harborguard.js';
import { createHttpServer, listen } from './http/server.js';
import { openEventStore } from './store/open-event-store.js';
import { serveDashboard } from './http/static.js';
import { join } from 'node:path';
import type { EventStore } from '@harborguard/eventstore';
import { SqliteReadModelStore } from './projections/read-model-store.js';
import type { Logger } from 'pino';
import { createLogger, lineLog, requestLogger } from './observability/logger.js';
import { ServiceMetrics } from './observability/metrics.js';

/** A signal's shutdown ends within this time, whatever is still running. */
const SHUTDOWN_DEADLINE_MS = 10_000;
/** How long requests in flight get to finish before their connections are cut. */
const DRAIN_GRACE_MS = 3_000;

/** Set once configuration is read; start-up failures before that go to standard error. */
let startedLogger: Logger | undefined;

/**
 * Starts the service: the HTTP server first (health answers at once), then the event store
 * and the rebuild of every actor; the API answers 503 until that is done.
 */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const { logger, log } = startLogging(config);

  let app: HarborGuard | null = null;
  let store: EventStore | null = null;
  const starting = new AbortController();
  const readModelStore = new SqliteReadModelStore(join(config.dataDir, 'readmodels.sqlite'), log);
  const metrics = new ServiceMetrics(() => app, { processMetrics: true });
  const server = createHttpServer({
    getApp: () => app,
    checkReady: async () => {
      if (!store) return { ready: false, checks: { store: 'connecting' } };
      try {
        await store.ping();
        return { ready: true, checks: { store: 'reachable' } };
      } catch (error) {
        return { ready: false, checks: { store: `unreachable: ${(error as Error).message}` } };
      }
    },
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

  let stopping = false;
  /**
   * Stops accepting, lets requests in flight finish, stops the actors and waits for every
   * write they started, stores the read models with their checkpoint, closes the store. A
   * start right after finds everything acknowledged and gives each sensor a full threshold.
   */
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: shutting down`);
    const deadline = setTimeout(() => {
      logger.error(`shutdown did not finish within ${SHUTDOWN_DEADLINE_MS} ms; exiting anyway`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    starting.abort();
    try {
      if (!(await running.drain(DRAIN_GRACE_MS))) logger.warn(`requests still running after ${DRAIN_GRACE_MS} ms were cut`);
      await app?.stop();
      // The read-model writer stores its last rows before the process ends.
      await readModelStore.closeAsync();
      await store?.close();
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

  const opened = await openEventStore(config, log, starting.signal);
  store = opened.store;
  log(`event store: ${opened.description}`);
  const harborguard = HarborGuard.create({
    store,
    offlineAfterMs: config.offlineAfterMs,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    pollIntervalMs: config.pollIntervalMs,
    keyRotationGraceMs: config.keyRotationGraceMs,
    maxSensorsPerOrg: config.maxSensorsPerOrg,
    sessionIdleMs: config.sessionIdleMs,
    sessionMaxMs: config.sessionMaxMs,
    adminToken: config.adminToken,
    readModelStore,
    log,
  });
  metrics.watch(harborguard);
  await harborguard.start();
  app = harborguard;
  log(`ready: offline after ${config.offlineAfterMs} ms without contact`);
}

/** The logger for the configured level, and the line-taking form the service's components use. */
function startLogging(config: Config): { logger: Logger; log: (line: string) => void } {
  const logger = createLogger({ level: config.logLevel, secrets: [config.adminToken, config.metricsToken] });
  startedLogger = logger;
  return { logger, log: lineLog(logger) };
}

main().catch((error: unknown) => {
  const message = `HarborGuard failed to start: ${error instanceof Error ? error.message : String(error)}`;
  if (startedLogger) startedLogger.fatal(message);
  else console.error(message);
  process.exit(1);
});
