import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import type { HarborGuard } from '../app/harborguard.js';
import { appRouter } from '../api/app-router.js';
import { handleWireRoute } from '../api/wire-routes.js';
import type { Context } from '../api/trpc.js';
import { MAX_BODY_BYTES, sendJson } from './body.js';
import { authorizationOf, handleSession, SESSION_PATH } from './session.js';

export interface HttpServerOptions {
  /** The running service, or null while it is starting (health answers, the API says 503). */
  getApp: () => HarborGuard | null;
  /** Readiness beyond the app itself, e.g. whether the store answers. */
  checkReady?: () => Promise<{ ready: boolean; checks: Record<string, string> }>;
  /** Serves the dashboard; returns false when it has nothing for the path. */
  serveStatic?: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;
  log?: (line: string) => void;
}

export interface RunningServer {
  server: Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

const TRPC_PATH = '/api/trpc';

export type HarborGuardServer = Server & {
  /** Tells WebSocket clients to reconnect and closes their connections, so the server can close. */
  closeLive(): void;
};

/** One HTTP server: health, tRPC over HTTP and WebSocket, the sensor wire routes, the dashboard. */
export function createHttpServer(options: HttpServerOptions): HarborGuardServer {
  const log = options.log ?? ((line: string) => console.error(line));
  const createContext = (authorization: string | undefined): Context => ({ app: options.getApp(), authorization });

  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: `${TRPC_PATH}/`,
    maxBodySize: MAX_BODY_BYTES,
    createContext: ({ req }) => createContext(authorizationOf(req)),
    onError: ({ error, path }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') log(`tRPC ${path ?? '?'} failed: ${error.cause?.stack ?? error.stack ?? error.message}`);
    },
  });

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log(`request ${req.method} ${req.url} failed: ${(error as Error).stack ?? String(error)}`);
      if (!res.headersSent) sendJson(res, 500, { error: 'Internal error' });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The path without a full URL parse: this runs for every heartbeat.
    const target = req.url ?? '/';
    const queryAt = target.indexOf('?');
    const path = queryAt < 0 ? target : target.slice(0, queryAt);
    if (path === '/healthz') {
      const app = options.getApp();
      return sendJson(res, 200, { status: 'ok', ready: app?.ready ?? false });
    }
    if (path === '/readyz') return readiness(res);
    if (path === '/metrics') return metrics(res);
    if (path === TRPC_PATH || path.startsWith(`${TRPC_PATH}/`)) return trpc(req, res);
    if (path === SESSION_PATH) return handleSession(options.getApp(), req, res);
    if (await handleWireRoute(options.getApp(), req, res, path, target)) return;
    if (path.startsWith('/api/')) return sendJson(res, 404, { error: `No route ${req.method} ${path}` });
    if (options.serveStatic && (await options.serveStatic(req, res, new URL(target, 'http://localhost')))) return;
    sendJson(res, 404, { error: `Not found: ${path}` });
  }

  async function readiness(res: ServerResponse): Promise<void> {
    const app = options.getApp();
    const checks: Record<string, string> = { actors: app?.ready ? `rebuilt (${app.supervisor.size} sensors)` : 'rebuilding' };
    let ready = app?.ready ?? false;
    if (app) {
      const projection = app.projector.status();
      const behind = app.writer.lastPosition !== null && (app.projector.position ?? -1n) < app.writer.lastPosition;
      checks['projections'] = `${projection.caughtUp ? 'caught up' : 'catching up'}; at position ${projection.position ?? 'start'}${behind ? `, behind ${app.writer.lastPosition}` : ''}`;
    }
    if (app && !app.writer.storeHealthy) {
      ready = false;
      checks['writes'] = 'event store refusing writes';
    }
    if (options.checkReady) {
      const extra = await options.checkReady();
      ready &&= extra.ready;
      Object.assign(checks, extra.checks);
    }
    sendJson(res, ready ? 200 : 503, { ready, checks });
  }

  function metrics(res: ServerResponse): void {
    const app = options.getApp();
    const lines: string[] = [];
    const gauge = (name: string, help: string, samples: [string, number][]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
      for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
    };
    gauge('harborguard_ready', 'Whether the service has rebuilt its state and serves requests.', [['', app?.ready ? 1 : 0]]);
    if (app) {
      gauge('harborguard_sensor_actors', 'Sensor actors running.', [['', app.supervisor.size]]);
      const written = app.writer.lastPosition;
      const projected = app.projector.position;
      gauge('harborguard_store_position', 'Global position of the last event this process wrote.', [['', Number(written ?? 0n)]]);
      gauge('harborguard_projection_position', 'Global position of the last event in the read models.', [['', Number(projected ?? 0n)]]);
      gauge('harborguard_projection_lag_positions', 'How far the read models trail the last write, in store positions.', [
        ['', written === null ? 0 : Math.max(0, Number(written - (projected ?? 0n)))],
      ]);
      const counts = { online: 0, scanning: 0, offline: 0 };
      for (const { id: orgId } of app.states.all('org')) {
        const summary = app.readModel.summary(orgId);
        counts.online += summary.online;
        counts.scanning += summary.scanning;
        counts.offline += summary.offline;
      }
      gauge('harborguard_sensors', 'Sensors by status, all orgs.', Object.entries(counts).map(([status, n]) => [`{status="${status}"}`, n]));
    }
    const body = `${lines.join('\n')}\n`;
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(body);
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY_BYTES });
  const wsHandler = applyWSSHandler({
    wss,
    router: appRouter,
    createContext: ({ req, info }) => {
      const fromParams = info.connectionParams?.['token'];
      return createContext(fromParams ? `Bearer ${fromParams}` : authorizationOf(req));
    },
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 5_000 },
  });
  server.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== TRPC_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  const closeLive = () => {
    wsHandler.broadcastReconnectNotification();
    // 1012: service restart. An upgraded socket would otherwise keep the server open forever.
    for (const client of wss.clients) client.close(1012, 'Service restarting');
    wss.close();
  };
  return Object.assign(server, { closeLive });
}

export async function listen(server: HarborGuardServer, port: number, host: string): Promise<RunningServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return {
    server,
    port: address.port,
    url: `http://${shownHost}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeLive();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
