import { ConfigError, loadConfig, type Config } from './config/config.js';
import { HarborGuard } from './app/harborguard.js';
import { createHttpServer, listen } from './http/server.js';
import { openEventStore } from './store/open-event-store.js';
import { serveDashboard } from './http/static.js';
import { join } from 'node:path';
import type { EventStore } from '@harborguard/eventstore';
import { SqliteReadModelStore } from './projections/read-model-store.js';

const log = (line: string) => console.error(`${new Date().toISOString()} ${line}`);

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

  let app: HarborGuard | null = null;
  let store: EventStore | null = null;
  const starting = new AbortController();
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
  });
  const running = await listen(server, config.port, config.host);
  log(`HarborGuard Sensor Health listening on ${running.url}`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: shutting down`);
    starting.abort();
    await running.close();
    await app?.stop();
    await store?.close();
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
    adminToken: config.adminToken,
    readModelStore: new SqliteReadModelStore(join(config.dataDir, 'readmodels.sqlite')),
    log,
    auditAnchorIntervalMs: config.auditAnchorIntervalMs,
  });
  await harborguard.start();
  app = harborguard;
  log(`ready: offline after ${config.offlineAfterMs} ms without contact`);
}

main().catch((error: unknown) => {
  console.error(`HarborGuard failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
