import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HarborGuard } from '../app/harborguard.js';
import { systemClock, type Clock } from '../core/clock.js';
import { handleWireRoute } from '../api/wire-routes.js';
import type { Context } from '../api/context.js';
import { FailedAuthLimiter, type FailedAuthLimits } from '../api/auth-limiter.js';
import { sendJson } from '../api/json-body.js';
import { WIRE_HEARTBEAT_PATH } from '../api/wire-heartbeat.js';
import { answerFailure } from './answer-failure.js';
import { heartbeatRoute } from './heartbeat-route.js';
import { credentialsOf } from './credentials.js';
import { handleSession, SESSION_PATH } from './session.js';
import { sendHealth, sendReadiness, type ReadinessCheck } from './health.js';
import { handleMetrics } from './metrics.js';
import { setSecurityHeaders } from './security-headers.js';
import { attachLive } from './websocket.js';
import { MAX_BATCH_SIZE, TRPC_PATH, trpcErrorLogger, trpcHttpHandler } from './trpc-http.js';
import { ServiceMetrics } from '../observability/metrics.js';
import { trackRequest, type RequestLine, type RequestTracking } from './request-tracking.js';
import { AUDIT_EXPORT_PATH, AVAILABILITY_CSV_PATH, handleAuditExport, handleAvailabilityCsv } from './audit-export.js';

export interface HttpServerOptions {
  /** The running service, or null while it is starting (health answers, the API says 503). */
  getApp: () => HarborGuard | null;
  /** Readiness beyond the app itself, e.g. whether the store answers. */
  checkReady?: ReadinessCheck;
  /** Serves the dashboard; returns false when it has nothing for the path. */
  serveStatic?: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;
  log?: (line: string) => void;
  /** Origins besides the service's own whose pages may use the session cookie over WebSocket. */
  allowedOrigins?: readonly string[];
  /** When set, /metrics needs `Authorization: Bearer <token>`. */
  metricsToken?: string | undefined;
  /** The largest scan results upload accepted; 64 MiB by default. Every other body is limited to 1 MiB. */
  maxUploadBytes?: number;
  failedAuthLimits?: FailedAuthLimits;
  /** Where people reach the service; an https URL makes the session cookie Secure on every answer. */
  publicUrl?: string | undefined;
  /** Drives the WebSocket authentication deadline; tests pass a simulated one. */
  clock?: Clock;
  /** The Prometheus registry /metrics serves; one without the process defaults when omitted. */
  metrics?: ServiceMetrics;
  /** The access log: told of every answered request with its id. */
  requestLog?: (line: RequestLine) => void;
}

export interface RunningServer {
  server: Server;
  port: number;
  url: string;
  close(): Promise<void>;
  /**
   * Stops accepting connections, lets the requests in flight finish, and closes each
   * connection as it falls idle; connections still busy after `graceMs` are cut. Resolves
   * false when some were cut.
   */
  drain(graceMs: number): Promise<boolean>;
}

export type HarborGuardServer = Server & {
  /** Tells WebSocket clients to reconnect and closes their connections, so the server can close. */
  closeLive(): void;
  /** From now on every answer closes its connection instead of keeping it alive. */
  refuseKeepAlive(): void;
};

export const DEFAULT_MAX_UPLOAD_BYTES = 64 * 1024 * 1024;
/** A WebSocket must present valid credentials within this time of opening. */
export const WS_AUTH_TIMEOUT_MS = 10_000;

interface Request {
  path: string;
  target: string;
  /** The caller's context; throws a 400 for a malformed session cookie, so only routes that need it ask. */
  context(): Context;
}

type Handler = (req: IncomingMessage, res: ServerResponse, request: Request) => unknown;

/** One HTTP server: health, metrics, tRPC over HTTP and WebSocket, the sensor wire routes, the dashboard. */
export function createHttpServer(options: HttpServerOptions): HarborGuardServer {
  const log = options.log ?? ((line: string) => console.error(line));
  const authLimiter = new FailedAuthLimiter(options.failedAuthLimits);
  const contextOf = (req: IncomingMessage, authorization = credentialsOf(req).authorization): Context => ({
    app: options.getApp(),
    authorization,
    clientAddress: req.socket.remoteAddress ?? 'unknown',
    authLimiter,
  });
  const trpc = trpcHttpHandler((req) => contextOf(req), log);
  const wireLimits = { maxUploadBytes: options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES };
  const sessionOptions = { allowedOrigins: options.allowedOrigins ?? [], httpsOnly: options.publicUrl?.startsWith('https:') ?? false, now: () => (options.clock ?? systemClock).now() };
  const metrics = options.metrics ?? new ServiceMetrics(options.getApp);
  const tracking: RequestTracking = { metrics, requestLog: options.requestLog, inFlight: new Set() };
  const heartbeat = heartbeatRoute({ contextOf: (req) => contextOf(req), tracking, log });

  const routes = new Map<string, Handler>([
    ['/healthz', (_req, res) => sendHealth(options.getApp(), res)],
    ['/readyz', (_req, res) => sendReadiness(options.getApp(), res, options.checkReady)],
    ['/metrics', (req, res, request) => handleMetrics(request.context(), metrics, options.metricsToken, req, res)],
    [TRPC_PATH, (req, res) => trpc(req, res)],
    [SESSION_PATH, (req, res, request) => handleSession(request.context(), req, res, sessionOptions)],
    [AUDIT_EXPORT_PATH, (req, res, request) => handleAuditExport(request.context(), req, res, request.target)],
    [AVAILABILITY_CSV_PATH, (req, res, request) => handleAvailabilityCsv(request.context(), req, res, request.target)],
  ]);

  /** The routes past the exact paths: tRPC procedures, the wire routes, then the dashboard. */
  async function fallback(req: IncomingMessage, res: ServerResponse, { path, target, context }: Request): Promise<void> {
    if (path.startsWith(`${TRPC_PATH}/`)) return trpc(req, res);
    if (await handleWireRoute(context(), req, res, path, target, wireLimits)) return;
    if (path.startsWith('/api/')) return sendJson(res, 404, { error: `No route ${req.method} ${path}` });
    if (options.serveStatic && (await options.serveStatic(req, res, new URL(target, 'http://localhost')))) return;
    sendJson(res, 404, { error: `Not found: ${path}` });
  }

  const server = createServer((req, res) => {
    // The path without a full URL parse: this runs for every heartbeat.
    const target = req.url ?? '/';
    const queryAt = target.indexOf('?');
    const path = queryAt < 0 ? target : target.slice(0, queryAt);
    if (path === WIRE_HEARTBEAT_PATH && req.method === 'POST') return heartbeat(req, res, path);
    setSecurityHeaders(res);
    const requestId = trackRequest(req, res, path, tracking);
    const request: Request = { path, target, context: () => contextOf(req) };
    Promise.resolve()
      .then(() => (routes.get(path) ?? fallback)(req, res, request))
      .catch((error: unknown) => answerFailure(req, res, { requestId, path }, error, log));
  });

  const live = attachLive(server, {
    path: TRPC_PATH,
    contextOf,
    allowedOrigins: options.allowedOrigins ?? [],
    clock: options.clock ?? systemClock,
    authTimeoutMs: WS_AUTH_TIMEOUT_MS,
    maxBatchSize: MAX_BATCH_SIZE,
    onError: trpcErrorLogger(log),
  });
  return Object.assign(server, {
    closeLive: () => live.close(),
    refuseKeepAlive: () => {
      for (const res of tracking.inFlight ?? []) if (!res.headersSent) res.setHeader('Connection', 'close');
      tracking.inFlight = null;
    },
  });
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
    drain: (graceMs) => drain(server, graceMs),
  };
}

/** How often connections that finished their request are closed while draining. */
const IDLE_SWEEP_MS = 50;

function drain(server: HarborGuardServer, graceMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let cut = false;
    server.refuseKeepAlive();
    server.closeLive();
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    const deadline = setTimeout(() => {
      cut = true;
      server.closeAllConnections();
    }, graceMs);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(deadline);
      resolve(!cut);
    });
    server.closeIdleConnections();
  });
}
